"""django-axes hooks: who is asking (the client address and username) and what a lock shows.

axes counts failed sign-ins per (username, address) in the database and refuses a locked pair
before any password is checked; oauth_portal/server/sign_in_protection.py adds the per-address and
per-account ceilings and shows its refusals through the same page. These callables are wired in
settings (``AXES_CLIENT_IP_CALLABLE``, ``AXES_USERNAME_CALLABLE``, ``AXES_LOCKOUT_CALLABLE``).
"""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from oauth_portal.audit import client_address
from oauth_portal.audit.models import AuditEvent

# axes stores the username in a varchar(255); a longer one would fail the insert (a 500 on
# PostgreSQL). No account has a name that long: every longer name is a failure anyway.
ATTEMPTED_USERNAME_MAX_LENGTH = 150


def client_address_bucket(request: HttpRequest) -> str | None:
    """The address failures are counted against (see ``oauth_portal.client_address``)."""
    return client_address.client_address_bucket(request.META)


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username a sign-in named, bounded so axes can store it."""
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username")
    return None if username is None else str(username)[:ATTEMPTED_USERNAME_MAX_LENGTH]


def lockout_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """The lock page: 429 with ``Retry-After``, the same for every username, known or not.

    Called by axes' middleware on every refused sign-in, by axes' pair lock or by our ceilings
    (``request.portal_sign_in_lock``); axes' lock is recorded in the audit log only for the
    failure that reached the limit, so one lockout is one event, however often it is hit.
    """
    ceiling = getattr(request, "portal_sign_in_lock", None)
    if ceiling is not None:
        retry_after_seconds = ceiling.retry_after
    else:
        retry_after_seconds = int(get_cool_off(request).total_seconds())
        if getattr(request, "axes_failures_since_start", None) == get_failure_limit(
            request, credentials
        ):
            _record_lockout(request=request, credentials=credentials)
    response = render(
        request,
        "oauth_portal/server/locked_out.html",
        {"retry_after_minutes": math.ceil(retry_after_seconds / 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after_seconds)
    add_never_cache_headers(response)
    return response


def _record_lockout(*, request: HttpRequest, credentials) -> None:
    # Django cleanses the password out of the credentials it reports; we take the username only.
    username = attempted_username(request, credentials) or ""
    user = get_user_model().objects.filter(username=username).first() if username else None
    AuditEvent.objects.record(
        event=AuditEvent.Type.SIGN_IN_LOCKED_OUT,
        request=request,
        user=user,
        attempted_username=username,
        failures=request.axes_failures_since_start,
        limit="sign-in-failures-pair",
    )
