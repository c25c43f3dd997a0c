"""RFC 8707 audiences: which API a token was minted for, and which APIs a client may ask for."""

from urllib.parse import urlsplit

from django.db.models import Q

from apis.models import ApiResource


def api_serving(path: str) -> ApiResource | None:
    """The API whose ``base_path`` is the longest prefix of ``path``."""
    candidates = [
        api for api in ApiResource.objects.exclude(base_path="") if path.startswith(api.base_path)
    ]
    return max(candidates, key=lambda api: len(api.base_path), default=None)


def token_audience_allows(request_uri: str, audiences: list[str]) -> bool:
    """DOT's RESOURCE_SERVER_TOKEN_RESOURCE_VALIDATOR: a token restricted to some audiences
    is accepted only by the API whose identifier is among them (DOT skips unrestricted tokens).
    """
    api = api_serving(urlsplit(request_uri).path)
    return api is not None and api.identifier in audiences


def resources_allowed_for(application) -> set[str]:
    """API identifiers ``application`` may ask a token for: the APIs of the scopes it may
    request (every API when it has no explicit list)."""
    apis = ApiResource.objects.all()
    if application.pk and application.allowed_scopes.exists():
        apis = apis.filter(Q(scopes__in=application.allowed_scopes.all())).distinct()
    return set(apis.values_list("identifier", flat=True))
