"""Our SCOPES_BACKEND_CLASS: DOT reads the scopes from the API and scope registry."""

from django.db.models import Exists, Q
from oauth2_provider.scopes import BaseScopes

from apis import registry
from apis.models import Scope


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
        """Active scopes the app may ask for, in one query (asked on every token request)."""
        active = Scope.objects.filter(is_active=True)
        if application is not None and application.pk:
            allowed = Scope.applications.through.objects.filter(application_id=application.pk)
            active = active.filter(Q(pk__in=allowed.values("scope_id")) | ~Exists(allowed))
        return list(active.values_list("name", flat=True))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return []
