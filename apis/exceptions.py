"""RFC 6750 errors for the resource APIs, mapped once for every DRF view."""

from django.core.exceptions import SuspiciousOperation
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class InsufficientScope(exceptions.PermissionDenied):
    """A valid token that lacks a scope the endpoint needs (RFC 6750 §3.1)."""

    def __init__(self, scopes: list[str]):
        self.scopes = scopes
        super().__init__(detail=f"This token lacks the scope {' '.join(scopes)}.")


class UserTokenRequired(exceptions.PermissionDenied):
    """A valid token issued to an app alone (client credentials) at an endpoint that acts for a
    user.

    RFC 6750 has no code for "this token has no user"; ``insufficient_scope`` (403) is the one
    that says "the request needs more privileges than this token carries" and that every client
    and gateway reads as "do not retry with this token". No ``scope`` attribute: the token may
    hold the scope, and naming it would send the client after a token that still fails.
    """

    def __init__(self):
        super().__init__(
            detail="This endpoint acts for a signed-in user; a token issued to an app alone "
            "(client credentials) cannot read or write a user's data."
        )


class InsufficientPermission(InsufficientScope):
    """A valid token whose user's roles do not permit what the endpoint needs.

    Answered as ``insufficient_scope`` (RFC 6750 §3.1), since a permission is a scope the
    user's role allows: the client learns which one, whatever the reason it lacks it.
    """

    def __init__(self, permissions: list[str]):
        super().__init__(permissions)
        self.detail = exceptions.ErrorDetail(
            f"This token lacks the permission {' '.join(permissions)}.", code=self.default_code
        )


class NoSuchOperation(InsufficientScope):
    """A valid token, but no operation the API declares matches the request: no scope can
    grant it, so the answer names none (RFC 6750 §3 makes ``scope`` optional)."""

    def __init__(self, method: str):
        self.scopes = []
        exceptions.PermissionDenied.__init__(
            self, detail=f"This API declares no {method} operation at this path."
        )


def bearer_exception_handler(exc, context):
    """DRF's handler, plus RFC 6750 ``error`` values in the body and ``WWW-Authenticate``.

    401 answers already carry DOT's challenge (``invalid_token`` when a bad token was sent,
    bare ``Bearer`` when none was); a missing scope is a 403 naming the scope. A request Django
    refuses to read (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a broken query-string escape)
    would otherwise reach Django as its bare HTML 400 page.
    """
    if isinstance(exc, SuspiciousOperation):
        return Response(
            {"error": "invalid_request", "error_description": "The request could not be read."},
            status=400,
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    if isinstance(exc, InsufficientScope):
        scope = " ".join(exc.scopes)
        response["WWW-Authenticate"] = 'Bearer realm="api",error="insufficient_scope"' + (
            f',scope="{scope}"' if scope else ""
        )
        response.data = {"error": "insufficient_scope", "error_description": str(exc.detail)}
        if scope:
            response.data["scope"] = scope
    elif isinstance(exc, UserTokenRequired):
        response["WWW-Authenticate"] = (
            f'Bearer realm="api",error="insufficient_scope",error_description="{exc.detail}"'
        )
        response.data = {"error": "insufficient_scope", "error_description": str(exc.detail)}
    elif response.status_code == 401:
        oauth2_error = getattr(request, "oauth2_error", None) or {}
        if oauth2_error.get("error"):
            response.data = dict(oauth2_error)
    return response
