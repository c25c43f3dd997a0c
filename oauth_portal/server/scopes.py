"""Our SCOPES_BACKEND_CLASS: DOT reads the scopes from the API and scope registry."""

from oauth2_provider.scopes import BaseScopes

from oauth_portal.server import api_access, registry
from oauth_portal.server.models import Scope
from oauth_portal.server.publishing import GRANTABLE_SCOPES


class ScopeRegistry(BaseScopes):
    """Active scopes from ``apis.Scope``; an app may ask for its allowed scopes (all if none),
    or, once it subscribes to APIs, the OpenID scopes and its approved APIs' scopes.

    No default scopes: a request without ``scope`` is refused with ``invalid_scope``
    (RFC 6749 §3.3) rather than silently granted something the client did not name.
    """

    def get_all_scopes(self) -> dict[str, str]:
        """Every active scope with its description: read from the registry snapshot, since DOT
        asks on every bearer check (``AccessToken.scopes``) only to describe the token."""
        return dict(registry.snapshot().scope_descriptions)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        """Active scopes the app may ask for: its allow-list or its API subscriptions
        (``api_access``, one query; asked on every token request). A scope of an API still
        pending publication is never available."""
        if application is not None and application.pk:
            return api_access.scopes_available_to(application)
        return list(Scope.objects.filter(GRANTABLE_SCOPES).values_list("name", flat=True))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return []
