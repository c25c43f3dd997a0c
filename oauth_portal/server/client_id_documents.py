"""Client ID metadata documents: an https URL as ``client_id``, whose JSON document DOT
fetches on first sight and caches on an Application row (``registration_source = "cimd"``).

Off unless the operator turns it on (``OAUTH2_PROVIDER["CIMD_ENABLED"]``; our site reads
``PORTAL_CLIENT_ID_METADATA_DOCUMENTS``). DOT's fetcher already refuses what makes this an
SSRF risk: only https, the host resolved once and every address checked public (no private,
loopback, link-local or metadata-service address; IPv4 hidden in IPv6 decoded), the connection
made to that checked address, no redirects, one deadline for the whole fetch
(``CIMD_FETCH_TIMEOUT_SECONDS``: 3 s here) and a size cap (``CIMD_MAX_DOCUMENT_SIZE``: 5 KB here);
failures back off per URL. Ours adds the rules every client obeys: redirect URIs by the portal's
rules and only known scopes, which then become the client's allowed scopes (the OpenID scopes
when the document names none), as for a registered client; ID tokens are signed with RS256. A
refused document makes the client unknown: the authorization endpoint shows its error page and
redirects nowhere.
"""

from contextvars import ContextVar

from oauth2_provider.cimd import CIMDError, SafeMetadataFetcher

from oauth_portal.server.models import Application, Scope
from oauth_portal.server.redirect_uri_rules import redirect_uri_problem

# (client_id, scope names or None): what the last accepted fetch in this request named, for
# ``fetched_document_apply`` once DOT has saved the client.
_fetched: ContextVar[tuple[str, tuple[str, ...] | None] | None] = ContextVar(
    "client_id_document_fetched", default=None
)


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
        scope = metadata.get("scope")
        _fetched.set((client_id, tuple(scope.split()) if scope else None))
        return metadata, max_age


def fetched_document_forget() -> None:
    _fetched.set(None)


def fetched_document_apply(application: Application) -> None:
    """After DOT saved the client of a document fetched in this request: its allowed scopes are
    the ones the document names (the OpenID scopes when it names none), and it signs with RS256.
    A client loaded from the database without a fetch is left alone."""
    fetched = _fetched.get()
    if fetched is None or fetched[0] != application.client_id:
        return
    _fetched.set(None)
    names = fetched[1]
    scopes = Scope.objects.filter(is_active=True)
    scopes = scopes.filter(name__in=names) if names else scopes.filter(api__isnull=True)
    application.allowed_scopes.set(scopes)
    if application.algorithm != Application.RS256_ALGORITHM:
        application.algorithm = Application.RS256_ALGORITHM
        application.save(update_fields=["algorithm", "updated"])
