from rest_framework.permissions import BasePermission

from apis.exceptions import (
    InsufficientPermission,
    InsufficientScope,
    NoSuchOperation,
    UserTokenRequired,
)
from oauth_portal.server import access_tokens, operation_scopes, registry, roles, token_claims


class TokenHasMethodScope(BasePermission):
    """The bearer token must carry the scopes the view names for the HTTP method.

    Views declare ``required_scopes_by_method = {"GET": [...], "POST": [...]}``; HEAD and
    OPTIONS need what GET needs. No token means 401 (DRF asks for authentication); a token
    without the scope raises ``InsufficientScope`` (403 with the scope named).
    """

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if token is None or not hasattr(token, "allow_scopes"):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        required = view.required_scopes_by_method.get(method)
        if required is None:
            return True  # DRF answers 405 for a method the view does not have.
        if not token.allow_scopes(required):
            raise InsufficientScope(required)
        return True


class TokenHasOperationScope(BasePermission):
    """The bearer token must carry the scope the registry names for this method and path.

    An admin or the API's publisher declares the operations (``ApiOperation``: method, path
    template relative to the API's base path, scope); they are read from the per-process
    registry snapshot, so the check costs no query. A request the view would serve but no
    declared operation matches is refused, 403 ``insufficient_scope`` without a scope to name:
    no token can reach an undeclared endpoint (deny by default). A method the view does not
    have stays DRF's 405. No token means 401 (DRF asks for authentication).
    """

    scopes_from_registry = True  # the portal's OpenAPI document reads the same registry

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if token is None or not hasattr(token, "allow_scopes"):
            return False
        if request.method not in view.allowed_methods:
            return True  # DRF answers 405: the view has nothing to reach with this method.
        scope = operation_scopes.scope_required(path=request.path, method=request.method)
        if scope is None:
            raise NoSuchOperation(request.method)
        if not token.allow_scopes([scope]):
            raise InsufficientScope([scope])
        return True


class TokenHasUser(BasePermission):
    """The API acts for a person: a client-credentials token (no user) is refused with 403
    ``insufficient_scope`` (``UserTokenRequired``), whatever scopes it carries, so a service can
    neither read nor write anybody's data here."""

    def has_permission(self, request, view) -> bool:
        if request.auth is not None and getattr(request.auth, "user_id", None) is None:
            raise UserTokenRequired()
        return True


def token_permissions(token, path: str) -> set[str]:
    """The permissions the user's roles give ``token`` (its ``permissions`` claim).

    A JWT carries them as they were at issue. For an opaque token they are read now, as
    introspection reads them (one query): for the API serving ``path`` when the token is for
    it, or for every API the token is for.
    """
    if isinstance(token, access_tokens.JwtAccessToken):
        permissions = token.claims.get("permissions")
        return set(permissions) if isinstance(permissions, list) else set()
    audiences = token_claims.token_audiences(token)
    api = registry.api_serving(path)
    if api is not None and api.identifier in audiences:
        audiences = [api.identifier]
    claims = roles.role_claims(
        user_id=token.user_id, audiences=audiences, scopes=token.scope.split()
    )
    return set(claims.get("permissions", []))


class TokenHasMethodPermission(BasePermission):
    """The token's user must hold, through their roles, the permissions the view names for the
    HTTP method: ``required_permissions_by_method = {"POST": ["colors:write"]}``.

    This gates on top of scopes: a permission counts only when the token was also granted it
    (see ``oauth_portal/server/roles.py``). A client-credentials token has no user and so no
    permissions. No token is 401; a missing permission is 403 ``insufficient_scope``.
    """

    def required_permissions(self, request, view) -> list[str]:
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        return list(getattr(view, "required_permissions_by_method", {}).get(method, []))

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if token is None or not hasattr(token, "allow_scopes"):
            return False
        required = self.required_permissions(request, view)
        if required and not set(required) <= token_permissions(token, request.path):
            raise InsufficientPermission(required)
        return True


class RequirePermission(TokenHasMethodPermission):
    """``permission_classes = [RequirePermission("colors:admin")]``: every method needs the
    named permissions. DRF instantiates each entry; calling an instance returns itself."""

    def __init__(self, *permissions: str):
        self.permissions = list(permissions)

    def __call__(self):
        return self

    def required_permissions(self, request, view) -> list[str]:
        return self.permissions
