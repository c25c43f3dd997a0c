"""Our SCOPES_BACKEND_CLASS: DOT reads the scopes from the API and scope registry."""

from oauth2_provider.scopes import BaseScopes

from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource, Scope
from oauth_portal.server.publishing import GRANTABLE_SCOPES


class ScopeRegistry(BaseScopes):
    """Active scopes from ``apis.Scope``; an app may ask for its allowed scopes, or all if none.

    No default scopes: a request without ``scope`` is refused with ``invalid_scope``
    (RFC 6749 §3.3) rather than silently granted something the client did not name.
    """

    def get_all_scopes(self) -> dict[str, str]:
        """Every active scope with its description: read from the registry snapshot, since DOT
        asks on every bearer check (``AccessToken.scopes``) only to describe the token."""
        return dict(registry.snapshot().scope_descriptions)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        """Active scopes the app may ask for (asked on every token request, so plain queries:
        one for an app with an explicit list, the common case; two for an app without).
        A scope of an API still pending approval is never available."""
        if application is not None and application.pk:
            allowed = list(
                application.allowed_scopes.values_list("name", "is_active", "api__status")
            )
            if allowed:
                return [
                    name
                    for name, is_active, status in allowed
                    if is_active and status in (None, ApiResource.Status.PUBLISHED)
                ]
        return list(Scope.objects.filter(GRANTABLE_SCOPES).values_list("name", flat=True))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return []
