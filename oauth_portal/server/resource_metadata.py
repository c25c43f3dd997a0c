"""RFC 9728 protected-resource metadata for the APIs in the registry.

RFC 9728 §3.1 puts a resource's metadata at its identifier's origin, with
``/.well-known/oauth-protected-resource`` before the identifier's path. An API's identifier
is its RFC 8707 audience, which need not be where this site serves it (the Colors API is
served at ``/api/colors/`` but named ``https://api.example.test/colors``). So this site answers
for an API at two paths:

- its ``base_path`` here: ``/.well-known/oauth-protected-resource/api/colors`` (the URL our
  401 answers point to in ``resource_metadata``);
- its identifier's path, when the identifier's host is the host the request came to.

Either way the document names the identifier as ``resource``: that is the value a client must
send as ``resource`` (or ``audience``) to get a token this API accepts. A strict RFC 9728 client
that requires ``resource`` to equal the URL it called needs an identifier equal to the served
URL (``https://id.example.com/api/colors``); operators who want that set the identifier so.
"""

from urllib.parse import urlsplit

from django.urls import NoReverseMatch, reverse
from oauth2_provider.settings import oauth2_settings

from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource

METADATA_URL_NAME = "oauth-protected-resource-metadata"
BEARER_METHODS = ["header"]  # RFC 9700 §4.3.2: never the query or a form body


def _normalised(path: str) -> str:
    return "/" + path.strip("/")


def api_described_at(request, resource_path: str) -> ApiResource | None:
    """The API whose metadata lives at ``resource_path`` (after the well-known prefix)."""
    wanted = _normalised(resource_path)
    host = request.get_host()
    for api in ApiResource.objects.prefetch_related("scopes"):
        if api.base_path and _normalised(api.base_path) == wanted:
            return api
        identifier = urlsplit(api.identifier)
        if identifier.scheme in ("http", "https") and identifier.netloc == host:
            if _normalised(identifier.path) == wanted:
                return api
    return None


def scopes_of(api: ApiResource) -> list[str]:
    return sorted(scope.name for scope in api.scopes.all() if scope.is_active)


def authorization_servers(request) -> list[str]:
    return [oauth2_settings.oidc_issuer(request)]


def metadata_url_for_path(request, path: str) -> str | None:
    """The metadata URL of the API serving ``path`` here, for ``WWW-Authenticate``; None when
    no API serves it or the site does not mount the well-known route."""
    api = registry.api_serving(path)
    if api is None or not api.base_path.strip("/"):
        return None
    try:
        url = reverse(METADATA_URL_NAME, kwargs={"resource_path": api.base_path.strip("/")})
    except NoReverseMatch:
        return None
    return request.build_absolute_uri(url)
