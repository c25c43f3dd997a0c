"""RFC 8707 audiences: which API a token was minted for, and which APIs a client may ask for."""

from urllib.parse import urlsplit

from django.db.models import Q
from django.urls import reverse

from oauth_portal.server.models import ApiResource
from oauth_portal.server.registry import api_serving


def token_audience_allows(request_uri: str, audiences: list[str]) -> bool:
    """DOT's RESOURCE_SERVER_TOKEN_RESOURCE_VALIDATOR: a token restricted to some audiences
    is accepted only by the API whose identifier is among them (DOT skips unrestricted tokens).

    The userinfo endpoint is ours, not an API's: it takes any token granted ``openid`` (OIDC
    Core 5.3, which DOT checks), whatever API the token was also minted for.
    """
    path = urlsplit(request_uri).path
    if path == reverse("oauth2_provider:user-info"):
        return True
    api = api_serving(path)
    return api is not None and api.identifier in audiences


def resources_allowed_for(application) -> set[str]:
    """API identifiers ``application`` may ask a token for: the APIs of the scopes it may
    request (every API when it has no explicit list)."""
    apis = ApiResource.objects.all()
    if application.pk and application.allowed_scopes.exists():
        apis = apis.filter(Q(scopes__in=application.allowed_scopes.all())).distinct()
    return set(apis.values_list("identifier", flat=True))
