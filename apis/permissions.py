from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from apis.exceptions import InsufficientScope, NoSuchOperation
from oauth_portal.server import operation_scopes


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
    """The API acts for a person: a client-credentials token (no user) is refused."""

    def has_permission(self, request, view) -> bool:
        if request.auth is not None and getattr(request.auth, "user_id", None) is None:
            raise PermissionDenied(
                "This API acts for a user; this token was issued to an app alone."
            )
        return True
