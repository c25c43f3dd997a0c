"""A database that does not answer is a 503 with Retry-After, never a 500 page.

While PostgreSQL restarts or fails over, every query fails with ``OperationalError`` (refused,
shutting down, starting up) and, once it is back, each worker's first query on the connection it
kept from before fails once with ``OperationalError`` or ``InterfaceError`` (connection closed):
``CONN_HEALTH_CHECKS`` is off by default, see ``oauth_portal/settings.py``. Django closes such a
connection when the request ends, so the next request reconnects; the failed request itself is
retryable and now says so, as the protocol does for a server that cannot answer now
(``temporarily_unavailable``, RFC 6749 §4.1.2.1), in JSON for clients and as a page for browsers.

Two ways in: ``process_exception`` for a view's error (the usual case: one warning, no
traceback), and, for an error raised in another middleware or while rendering, the
``got_request_exception`` signal marks the request and the 500 Django made of it is replaced
on its way out. Put the middleware near the top of ``MIDDLEWARE`` (after the request log), so
it sees every 500 below it.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# A restart or fail-over takes seconds; a stale connection is replaced by the very next request.
RETRY_AFTER_SECONDS = 5
_MARK = "_portal_database_unavailable"


def _mark_database_unavailable(sender, request=None, **kwargs):
    if request is not None and isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        setattr(request, _MARK, True)


got_request_exception.connect(_mark_database_unavailable, dispatch_uid=__name__)


def wants_html(request) -> bool:
    """Browsers navigating get a page; API and protocol clients (no ``text/html`` in Accept)
    get the protocol's error JSON."""
    return "text/html" in request.headers.get("Accept", "")


def temporarily_unavailable(request) -> HttpResponse:
    """Rendered without the request's context: nothing in it may touch the database."""
    if wants_html(request):
        response = HttpResponse(
            render_to_string(
                "oauth_portal/server/temporarily_unavailable.html",
                {"retry_after": RETRY_AFTER_SECONDS},
            ),
            status=503,
        )
    else:
        response = JsonResponse(
            {
                "error": "temporarily_unavailable",
                "error_description": "The service cannot answer now; retry shortly.",
            },
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return temporarily_unavailable(request)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning(
            "database unavailable: %s %s answered 503 (%s)",
            request.method,
            request.path,
            type(exception).__name__,
            extra={"event": "database_unavailable", "error": str(exception).splitlines()[0]},
        )
        return temporarily_unavailable(request)
