"""Client ID metadata documents: an https URL as ``client_id``, whose JSON document DOT
fetches on first sight and caches on an Application row (``registration_source = "cimd"``).

Off unless the operator turns it on (``OAUTH2_PROVIDER["CIMD_ENABLED"]``; our site reads
``PORTAL_CLIENT_ID_METADATA_DOCUMENTS``). DOT's fetcher already refuses what makes this an
SSRF risk: only https, the host resolved once and every address checked public (no private,
loopback, link-local or metadata-service address; IPv4 hidden in IPv6 decoded), the connection
made to that checked address, no redirects, one deadline for the whole fetch
(``CIMD_FETCH_TIMEOUT_SECONDS``: 3 s here) and a size cap (``CIMD_MAX_DOCUMENT_SIZE``: 5 KB here);
failures back off per URL. Ours adds the rules every client obeys: redirect URIs by the portal's
rules and only known scopes. A refused document makes the client unknown: the authorization
endpoint shows its error page and redirects nowhere.
"""

from oauth2_provider.cimd import CIMDError, SafeMetadataFetcher

from oauth_portal.server.models import Application, Scope
from oauth_portal.server.redirect_uri_rules import redirect_uri_problem


def document_problem(metadata: dict) -> str | None:
    """What in a fetched document breaks our client rules, or None."""
    kind = (
        Application.Kind.NATIVE
        if metadata.get("application_type") == "native"
        else Application.Kind.SPA
    )
    redirect_uris = metadata.get("redirect_uris")
    if isinstance(redirect_uris, list):
        for uri in redirect_uris:
            problem = redirect_uri_problem(uri, kind=kind) if isinstance(uri, str) else None
            if problem is not None:
                return "redirect_uris: " + " ".join(problem.messages)
    scope = metadata.get("scope")
    if scope is not None:
        names = set(scope.split()) if isinstance(scope, str) else None
        known = set(
            Scope.objects.filter(name__in=names or [], is_active=True).values_list(
                "name", flat=True
            )
        )
        if names is None or names - known:
            return "scope names an unknown scope"
    return None


class PortalMetadataFetcher(SafeMetadataFetcher):
    """DOT's hardened fetch, then our client rules on the document it returns."""

    def fetch(self, client_id):
        metadata, max_age = super().fetch(client_id)
        problem = document_problem(metadata)
        if problem:
            raise CIMDError(f"client metadata refused: {problem}")
        return metadata, max_age
