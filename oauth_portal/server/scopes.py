"""Our SCOPES_BACKEND_CLASS: DOT reads the scopes from the API and scope registry."""

from django.db.models import Exists, OuterRef, Q
from oauth2_provider.scopes import BaseScopes

from oauth_portal.server import registry
from oauth_portal.server.models import Application, Scope
from oauth_portal.server.offline_access import OFFLINE_ACCESS


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

        ``offline_access`` (OpenID Connect Core 11) is on every app's list while it is active:
        the user decides on the consent page whether the app stays connected.
        """
        if application is not None and application.pk:
            listed = Exists(
                Application.allowed_scopes.through.objects.filter(
                    application_id=application.pk, scope_id=OuterRef("pk")
                )
            )
            rows = list(
                Scope.objects.annotate(listed=listed)
                .filter(Q(listed=True) | Q(name=OFFLINE_ACCESS))
                .values_list("name", "is_active", "listed")
            )
            if any(is_listed for _name, _active, is_listed in rows):
                return [name for name, is_active, _listed in rows if is_active]
        return list(Scope.objects.filter(is_active=True).values_list("name", flat=True))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return []
