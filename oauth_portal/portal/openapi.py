"""The OpenAPI document of our resource APIs (drf-spectacular), as the portal serves it.

The scope each operation needs is the registry's (``ApiOperation``, enforced by
``apis.permissions.TokenHasOperationScope``); views that still declare scopes in code name them
per HTTP method (``required_scopes_by_method``, read by ``TokenHasMethodScope``).
drf-spectacular's DOT extension only knows DOT's own permission classes, so this extension
reads ours instead: every operation then names its scope, and the API catalogue lists each
API's endpoints from the same document. Operations of published APIs served elsewhere (APIs
their publishers registered) are added to the document by ``registered_operations``.
"""

import re

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from drf_spectacular.generators import SchemaGenerator

from oauth_portal.server import operation_scopes
from oauth_portal.server.models import ApiOperation, ApiResource

OAUTH_SCHEME = "oauth2"


class PortalOAuth2Scheme(DjangoOAuthToolkitScheme):
    """Our bearer authentication (a subclass of DOT's), with the scopes our views declare."""

    target_class = "apis.authentication.BearerTokenAuthentication"
    match_subclasses = True  # DOT's own class too, should a view still name it
    priority = 1  # ahead of drf-spectacular's own DOT extension for the same class

    def get_security_requirement(self, auto_schema):
        permissions = auto_schema.view.get_permissions()
        # Marked by ``apis.permissions.TokenHasOperationScope`` (the portal does not import apis).
        if any(getattr(p, "scopes_from_registry", False) for p in permissions):
            scope = operation_scopes.scope_required(
                path=auto_schema.path, method=auto_schema.method
            )
            return {self.name: [scope] if scope else []}
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


def _parameters_of(path: str) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", path)
    ]


def registered_operations(result, generator, request, public):
    """Add the registered operations of published APIs that no view here describes: an API
    served elsewhere appears with its operations and scopes, tagged with its name. The path is
    the operation's under the API's base path (its own template when it has none); a view's
    own description of the same method and path wins."""
    paths = result.setdefault("paths", {})
    operations = ApiOperation.objects.filter(
        api__status=ApiResource.Status.PUBLISHED
    ).select_related("api", "scope")
    for operation in operations:
        base = operation.api.base_path.rstrip("/")
        path = base + operation.path
        methods = paths.setdefault(path, {})
        if operation.method.lower() in methods:
            continue
        methods[operation.method.lower()] = {
            "operationId": f"{operation.api.name} {operation.method} {path}",
            "summary": operation.summary,
            "tags": [operation.api.name],
            "parameters": _parameters_of(path),
            "security": [{OAUTH_SCHEME: [operation.scope.name]}],
            "responses": {"200": {"description": "Success"}},
        }
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
