"""django-axes hooks: who is asking (the client address) and what a locked sign-in sees.

axes counts failed sign-ins in the database and refuses a locked username or address before any
password is checked; these two callables are wired in settings (``AXES_CLIENT_IP_CALLABLE``,
``AXES_LOCKOUT_CALLABLE``).
"""

import math

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from oauth_portal import client_address
from oauth_portal.models import AuditEvent
from oauth_portal.services import audit_record


def client_ip_address(request: HttpRequest) -> str | None:
    """The address failures are counted against (see ``oauth_portal.client_address``)."""
    return client_address.client_ip_address(request.META)


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """The lock page: 429 with ``Retry-After``, the same for every username, known or not.

    Called by axes' middleware on every refused sign-in; the audit event is written only for the
    failure that reached the limit, so one lockout is one event, however often the lock is hit.
    """
    cool_off = get_cool_off(request)
    retry_after_seconds = int(cool_off.total_seconds())
    if request.axes_failures_since_start == get_failure_limit(request, credentials):
        _record_lockout(request=request, credentials=credentials)
    response = render(
        request,
        "accounts/locked_out.html",
        {"retry_after_minutes": math.ceil(retry_after_seconds / 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after_seconds)
    add_never_cache_headers(response)
    return response


def _record_lockout(*, request: HttpRequest, credentials) -> None:
    # Django cleanses the password out of the credentials it reports; we take the username only.
    username = (get_client_username(request, credentials) or "")[:150]
    user = get_user_model().objects.filter(username=username).first() if username else None
    audit_record(
        event=AuditEvent.Type.SIGN_IN_LOCKED_OUT,
        request=request,
        user=user,
        attempted_username=username,
        failures=request.axes_failures_since_start,
    )
