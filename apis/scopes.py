"""Our SCOPES_BACKEND_CLASS: DOT reads the scopes from the API and scope registry."""

from oauth2_provider.scopes import BaseScopes

from apis.models import Scope


class ScopeRegistry(BaseScopes):
    """Active scopes from ``apis.Scope``; an app may ask for its allowed scopes, or all if none.

    No default scopes: a request without ``scope`` is refused with ``invalid_scope``
    (RFC 6749 §3.3) rather than silently granted something the client did not name.
    """

    def get_all_scopes(self) -> dict[str, str]:
        return dict(Scope.objects.filter(is_active=True).values_list("name", "description"))

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        active = Scope.objects.filter(is_active=True)
        if application is not None and application.pk and application.allowed_scopes.exists():
            active = active.filter(applications=application)
        return list(active.values_list("name", flat=True))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return []
