"""OpenID Connect Back-Channel Logout 1.0: signed logout tokens POSTed to the apps a user
signed in to, from an outbox table.

Ending a session queues one ``LogoutNotification`` per app (``sign_in_sessions``); the rows are
sent by a background thread as soon as the sign-out's transaction commits (the user's response
never waits for an app), and whatever failed is retried with backoff by the
``send_logout_notifications`` command (run it from cron every minute). A try claims its row
first, so the thread and the command never send one notification twice at once.

Each try is one POST with strict limits: a short timeout, no redirects followed, the body not
read, and (unless ``PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES``) no loopback, private or
link-local destination, so a registered URI cannot make us call into our own network.
"""

import ipaddress
import socket
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.contrib.auth import get_user_model
from django.db import OperationalError, connections, transaction
from django.db.models import F
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import access_tokens, app_settings
from oauth_portal.server.models import LogoutNotification

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME_SECONDS = 120
# Wait before each retry: 30 s, 2 min, 10 min, 1 h; then we give up (five tries in all).
RETRY_DELAYS_SECONDS = (30, 120, 600, 3600)
# A claimed try that never finished (its worker died) is free again after this long.
CLAIM_SECONDS = 60
# A write the database refused because it was busy (SQLite's "table is locked") is tried again
# after these pauses: the outcome of a POST already made must not be lost to a passing lock.
BUSY_DATABASE_PAUSES_SECONDS = (0.05, 0.2, 0.5)


def notifications_enqueue(*, applications, issuer: str, subject: str, sid: str) -> list[int]:
    """One pending notification per app, due now."""
    now = timezone.now()
    rows = LogoutNotification.objects.bulk_create(
        LogoutNotification(
            application=application, issuer=issuer, subject=subject, sid=sid, next_attempt_at=now
        )
        for application in applications
    )
    return [row.pk for row in rows]


def send_after_commit(ids: list[int]) -> None:
    """Send ``ids`` from a background thread once the current transaction has committed."""
    if ids:
        transaction.on_commit(
            lambda: threading.Thread(target=_send_in_background, args=(ids,), daemon=True).start()
        )


def _send_in_background(ids: list[int]) -> None:
    try:
        notifications_send(ids=ids)
    finally:
        connections.close_all()


def notifications_send(*, ids: list[int] | None = None) -> tuple[int, int]:
    """Try every due notification (or those of ``ids``); returns (delivered, not delivered)."""
    due = LogoutNotification.objects.filter(
        status=LogoutNotification.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).select_related("application")
    if ids is not None:
        due = due.filter(pk__in=ids)
    delivered = failed = 0
    for notification in due:
        outcome = notification_send(notification)
        if outcome is True:
            delivered += 1
        elif outcome is False:
            failed += 1
    return delivered, failed


def notification_send(notification: LogoutNotification) -> bool | None:
    """One try: True delivered, False failed (retried later or given up), None when another
    worker holds it."""
    if not _when_the_database_is_free(_claim, notification):
        return None
    problem = post_logout_token(
        notification.application.backchannel_logout_uri, logout_token(notification)
    )
    _when_the_database_is_free(_record_outcome, notification, problem)
    return problem is None


def _when_the_database_is_free(write, *args):
    """``write(*args)``, tried again while the database answers that it is busy."""
    for pause in BUSY_DATABASE_PAUSES_SECONDS:
        try:
            return write(*args)
        except OperationalError:
            time.sleep(pause)
    return write(*args)


def _claim(notification: LogoutNotification) -> bool:
    claimed = LogoutNotification.objects.filter(
        pk=notification.pk,
        status=LogoutNotification.Status.PENDING,
        attempts=notification.attempts,
    ).update(
        attempts=F("attempts") + 1,
        next_attempt_at=timezone.now() + timedelta(seconds=CLAIM_SECONDS),
    )
    notification.attempts += 1
    return bool(claimed)


def _record_outcome(notification: LogoutNotification, problem: str | None) -> None:
    if problem is None:
        notification.status = LogoutNotification.Status.DELIVERED
        notification.last_error = ""
    elif notification.attempts > len(RETRY_DELAYS_SECONDS):
        notification.status = LogoutNotification.Status.FAILED
        notification.last_error = problem[:200]
    else:
        delay = RETRY_DELAYS_SECONDS[notification.attempts - 1]
        notification.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        notification.last_error = problem[:200]
    recorded = LogoutNotification.objects.filter(pk=notification.pk).update(
        status=notification.status,
        last_error=notification.last_error,
        next_attempt_at=notification.next_attempt_at,
    )
    if not recorded:
        return  # deleted with its client meanwhile: no notification, no app to audit
    AuditEvent.objects.record(
        event=AuditEvent.Type.LOGOUT_NOTIFICATION_DELIVERED
        if problem is None
        else AuditEvent.Type.LOGOUT_NOTIFICATION_FAILED,
        user=get_user_model().objects.filter(pk=notification.subject).first(),
        application=notification.application,
        attempt=notification.attempts,
        gave_up=notification.status == LogoutNotification.Status.FAILED,
        problem=problem or "",
    )


def logout_token(notification: LogoutNotification) -> str:
    """The logout token (Back-Channel Logout 1.0 §2.4): a JWT signed with our current ID-token
    key, typed ``logout+jwt``, with ``sub`` and ``sid`` and the logout event; never a nonce."""
    now = int(time.time())
    claims = {
        "iss": notification.issuer,
        "aud": notification.application.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
        "sub": notification.subject,
        "sid": notification.sid,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    return access_tokens.sign(claims, typ="logout+jwt")


def post_logout_token(uri: str, token: str) -> str | None:
    """POST the token to ``uri``; None when the app answered 2xx, else what went wrong."""
    if problem := destination_problem(uri):
        return problem
    try:
        response = requests.post(
            uri,
            data={"logout_token": token},
            timeout=app_settings.PORTAL_BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as error:
        return f"request failed: {type(error).__name__}"
    response.close()
    if 200 <= response.status_code < 300:
        return None
    return f"answered HTTP {response.status_code}"


def destination_problem(uri: str) -> str | None:
    """Why ``uri`` may not be called, or None. Private destinations are refused unless the
    operator allows them (development, or apps inside the same network)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "not an http(s) URI"
    if app_settings.PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError):
        return "host not found"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            return "private or loopback address refused"
    return None
