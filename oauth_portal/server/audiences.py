"""RFC 8707 audiences: which API a token was minted for, and which APIs a client may ask for."""

from urllib.parse import urlsplit

from django.http import QueryDict
from django.urls import reverse

from oauth_portal.server.api_access import resources_available_to
from oauth_portal.server.models import ApiResource
from oauth_portal.server.registry import api_serving


def audience_as_resource(params: QueryDict) -> QueryDict | None:
    """Auth0's ``audience`` names an API as RFC 8707's ``resource`` does: a copy of ``params``
    with each audience added as a resource (once), or None when no audience was sent. Clients
    written for Auth0 then get a token for that API, and an unknown one is ``invalid_target``
    rather than silently ignored."""
    audiences = params.getlist("audience")
    if not audiences:
        return None
    merged = params.copy()
    del merged["audience"]
    resources = merged.getlist("resource")
    merged.setlist("resource", [*resources, *(a for a in audiences if a not in resources)])
    return merged


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
    request (every API when it has no explicit list), or of its approved subscriptions; never
    an API pending publication."""
    if application.pk:
        return resources_available_to(application)
    return set(
        ApiResource.objects.filter(status=ApiResource.Status.PUBLISHED).values_list(
            "identifier", flat=True
        )
    )
