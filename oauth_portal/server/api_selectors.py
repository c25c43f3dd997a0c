"""Queries on the API and scope registry."""

from oauth_portal.server.models import Scope


def scopes_for_consent(*, names: list[str]) -> list[dict]:
    """The requested scopes in the order asked, each with the words the user reads.

    Unknown names are left out: oauthlib has already refused a request naming one.
    """
    known = {
        scope.name: scope
        for scope in Scope.objects.filter(name__in=names, is_active=True).select_related("api")
    }
    return [
        {
            "name": name,
            "description": known[name].description,
            "api": known[name].api.name if known[name].api else "Your account",
        }
        for name in names
        if name in known
    ]
