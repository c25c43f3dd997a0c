"""How the portal shows a service (client credentials, no user): what differs from an app that
signs users in.

A service asks for API scopes only (the OpenID Connect scopes describe a signed-in user), has
no consent page and so no "users who authorized" count, and needs no playground switch (the
switch adds a redirect URI; a service has none).
"""

from django.urls import reverse

from oauth_portal.server.models import Application, Scope


def is_service(application: Application) -> bool:
    """A client that gets tokens for itself alone (RFC 6749 §4.4)."""
    return application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS


def scope_groups_for(application: Application, groups: list[dict]) -> list[dict]:
    """The scope-picker groups to show for ``application``: no OpenID Connect group (the one
    without an API) for a service."""
    if not is_service(application):
        return groups
    return [group for group in groups if group["api"] is not None]


def api_scope_names(application: Application) -> list[str]:
    """The API scopes ``application`` may ask for (every active one when it names none)."""
    scopes = Scope.objects.filter(is_active=True, api__isnull=False).order_by("api__name", "name")
    allowed = set(application.allowed_scopes.values_list("name", flat=True))
    names = list(scopes.values_list("name", flat=True))
    return [name for name in names if name in allowed] if allowed else names


def service_panel(request, application: Application) -> dict | None:
    """What the app page shows a service about getting a token; None for other apps."""
    if not is_service(application):
        return None
    return {
        "token_endpoint_url": request.build_absolute_uri(reverse("oauth2_provider:token")),
        "scope": " ".join(api_scope_names(application)),
    }
