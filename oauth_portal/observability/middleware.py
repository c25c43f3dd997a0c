"""One log line and two metrics per request, with a request id the response carries back."""

import logging
import re
import time
import uuid

from django.utils.functional import SimpleLazyObject, empty

from oauth_portal.audit.client_address import client_ip_address
from oauth_portal.observability import app_settings, metrics, request_context

logger = logging.getLogger("oauth_portal.request")

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def request_id_from(request) -> str:
    """The proxy's request id when it looks like one, else a new one."""
    header = "HTTP_" + app_settings.PORTAL_REQUEST_ID_HEADER.upper().replace("-", "_")
    offered = request.META.get(header, "")
    if _VALID_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Put it first in MIDDLEWARE, so its time covers the whole stack and every line logged
    while serving the request carries its id.

    The line holds the request id, method, endpoint (URL name: bounded, no ids or query
    strings), status, duration, the client the request was for and the user; never a query
    string, header value or body (they can hold codes and tokens).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request)
        context = request_context.start(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            endpoint = _endpoint(request)
            metrics.REQUEST_LATENCY.labels(endpoint=endpoint, method=request.method).observe(
                duration
            )
            metrics.RESPONSES.labels(
                endpoint=endpoint, method=request.method, status=str(response.status_code)
            ).inc()
            fields = request_context.fields()
            user = _user_if_loaded(request)
            if getattr(user, "is_authenticated", False):
                fields.setdefault("user_id", user.pk)
            logger.info(
                "%s %s %s",
                request.method,
                endpoint,
                response.status_code,
                extra={
                    "event": "request",
                    "method": request.method,
                    "endpoint": endpoint,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 2),
                    "client_id": fields.get("client_id"),
                    "user_id": fields.get("user_id"),
                    "ip": client_ip_address(request.META),
                },
            )
            response[app_settings.PORTAL_REQUEST_ID_HEADER] = request_id
            return response
        finally:
            request_context.end(context)


def _user_if_loaded(request):
    """The request's user if something already loaded it: the log line never costs a query."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user


def _endpoint(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or "unnamed"
