"""The OpenAPI document of our resource APIs (drf-spectacular), as the portal serves it.

Our API views declare the scopes they need per HTTP method (``required_scopes_by_method``, read
by ``apis.permissions.TokenHasMethodScope``). drf-spectacular's DOT extension only knows DOT's
own permission classes, so this extension reads our attribute instead: every operation then
names its scopes, and the API catalogue lists each API's endpoints from the same document.
"""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.generators import SchemaGenerator

OAUTH_SCHEME = "oauth2"


class PortalOAuth2Scheme(DjangoOAuthToolkitScheme):
    """Our bearer authentication (a subclass of DOT's), with the scopes our views declare."""

    target_class = "apis.authentication.BearerTokenAuthentication"
    match_subclasses = True  # DOT's own class too, should a view still name it
    priority = 1  # ahead of drf-spectacular's own DOT extension for the same class

    def get_security_requirement(self, auto_schema):
        by_method = getattr(auto_schema.view, "required_scopes_by_method", None)
        if by_method is None:
            return super().get_security_requirement(auto_schema)
        method = "GET" if auto_schema.method in ("HEAD", "OPTIONS") else auto_schema.method
        return {self.name: list(by_method.get(method, []))}


def absolute_oauth_urls(result, generator, request, public):
    """Make the flow's authorization and token URLs absolute for the host the docs are read on.

    Swagger UI resolves relative URLs against the schema's location, and client generators
    want absolute ones; the host comes from the request, as the discovery issuer does.
    """
    if request is None:
        return result
    scheme = result.get("components", {}).get("securitySchemes", {}).get(OAUTH_SCHEME)
    for flow in (scheme or {}).get("flows", {}).values():
        for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
            if flow.get(key, "").startswith("/"):
                flow[key] = request.build_absolute_uri(flow[key])
    return result


def api_operations() -> list[dict]:
    """Every operation of the resource APIs: method, path, summary and the scopes it needs."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            scopes = {
                scope
                for requirement in operation.get("security", [])
                for scope in requirement.get(OAUTH_SCHEME, [])
            }
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary") or operation.get("description", ""),
                    "scopes": sorted(scopes),
                }
            )
    return operations
