from rest_framework.permissions import BasePermission

from apis.exceptions import InsufficientScope, UserTokenRequired


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


class TokenHasUser(BasePermission):
    """The API acts for a person: a client-credentials token (no user) is refused with 403
    ``insufficient_scope`` (``UserTokenRequired``), whatever scopes it carries, so a service can
    neither read nor write anybody's data here."""

    def has_permission(self, request, view) -> bool:
        if request.auth is not None and getattr(request.auth, "user_id", None) is None:
            raise UserTokenRequired()
        return True
