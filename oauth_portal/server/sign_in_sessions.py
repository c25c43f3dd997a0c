"""Sign-in sessions as relying parties see them (OpenID Connect ``sid``), and what ending one
does: every app the user signed in to during it gets a back-channel logout notification.

The ``sid`` is a random id stored in the browser's Django session the first time the user signs
in to an app there, never the session key (which would let anyone holding an ID token hijack
the session). Each authorization code is recorded against it (``SessionClient``), so the code's
ID token carries it, and so do ID tokens minted later from the code's refresh-token family;
ending the session also ends those families, unless ``offline_access`` was granted.
"""

import hashlib
import json
import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.settings import oauth2_settings

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_queries, compiled_writes
from oauth_portal.server import logout_notifications, offline_access
from oauth_portal.server.models import (
    Application,
    LogoutNotification,
    RedeemedCode,
    SessionClient,
    SignInSession,
)

SID_SESSION_KEY = "portal_sid"


def _checksum(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def session_sign_in_session(request) -> SignInSession:
    """The browser session's ``SignInSession``, made (with a fresh ``sid``) on first use."""
    sid = request.session.get(SID_SESSION_KEY)
    if sid:
        found = SignInSession.objects.filter(sid=sid, ended_at__isnull=True).first()
        if found is not None:
            return found
    if request.session.session_key is None:
        request.session.save()
    sign_in_session = SignInSession.objects.create(
        sid=secrets.token_urlsafe(24),
        user=request.user,
        session_key=request.session.session_key or "",
    )
    request.session[SID_SESSION_KEY] = sign_in_session.sid
    return sign_in_session


def session_client_record(*, request, application: Application, code: str) -> None:
    """Note that this browser session signed in to ``application`` with ``code``."""
    SessionClient.objects.create(
        session=session_sign_in_session(request),
        application=application,
        code_checksum=_checksum(code),
    )


def session_client_link_family(*, code: str, token_family, scopes) -> None:
    """Tie the refresh-token family a code started to the code's session, so refreshed ID
    tokens carry the same ``sid`` and ending the session ends the family, unless the user
    granted ``offline_access``."""
    compiled_writes.update(
        SessionClient,
        {"code_checksum": _checksum(code)},
        token_family=token_family,
        outlives_sign_in=offline_access.outlives_sign_in(scopes),
    )


_UNREAD = object()


def code_checksum(code: str) -> str:
    """How a code is named in ``SessionClient`` (never the code itself)."""
    return _checksum(code)


def code_sid(checksum: str) -> Subquery:
    """The ``sid`` of the sign-in session the code with ``checksum`` was issued in, as a
    subquery: the code exchange reads it along with the code's row (``portal_code_sid``)."""
    return Subquery(
        SessionClient.objects.filter(code_checksum=checksum)
        .order_by("pk")
        .values("session__sid")[:1]
    )


def sid_for_token_request(request) -> str | None:
    """The ``sid`` an ID token minted for this oauthlib token request carries, if any."""
    if request.grant_type == "authorization_code" and getattr(request, "code", None):
        if (known := getattr(request, "portal_code_sid", _UNREAD)) is not _UNREAD:
            return known
        found = (
            SessionClient.objects.select_related("session")
            .filter(code_checksum=_checksum(request.code))
            .first()
        )
        return found.session.sid if found is not None else None
    refresh_token = getattr(request, "refresh_token_instance", None)
    if request.grant_type == "refresh_token" and refresh_token and refresh_token.token_family:
        return _family_sid(request, refresh_token)
    return None


def _family_sid(request, refresh_token) -> str | None:
    """The family's session ``sid`` and, for the same refreshed ID token, the family's sign-in
    methods (amr, ``portal_family_sign_in_methods`` on the request), in one query: both are
    read as subqueries of the refresh token's own row, which is there whether or not the family
    has a session or a redeemed code. Compiled once per process (``compiled_queries``)."""
    found = compiled_queries.rows(
        "family-sign-in", _family_sign_in_rows, refresh_token_id=refresh_token.pk
    )
    sid, methods = found[0] if found else (None, None)
    if isinstance(methods, str):  # a database without a JSON type hands back the text
        methods = json.loads(methods)
    request.portal_family_sign_in_methods = methods
    return sid


def _family_sign_in_rows(*, refresh_token_id: int):
    family = OuterRef("token_family")
    return (
        get_refresh_token_model()
        .objects.filter(pk=refresh_token_id)
        .annotate(
            family_sid=Subquery(
                SessionClient.objects.filter(token_family=family)
                .order_by("pk")
                .values("session__sid")[:1]
            ),
            family_methods=Subquery(
                RedeemedCode.objects.filter(token_family=family)
                .order_by("pk")
                .values("sign_in_methods")[:1]
            ),
        )
        .values_list("family_sid", "family_methods")
    )


@transaction.atomic
def sign_in_session_end(*, sid: str, issuer: str, request=None) -> list[int]:
    """End the session ``sid`` and queue a logout notification for each app signed in during
    it that asked for them; sent right after the current transaction commits. Returns the
    notifications' ids (none if the session had already ended)."""
    ended = SignInSession.objects.filter(sid=sid, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    if not ended:
        return []
    sign_in_session = SignInSession.objects.get(sid=sid)
    offline_access.sign_in_session_tokens_revoke(sign_in_session=sign_in_session, request=request)
    applications = Application.objects.filter(
        pk__in=sign_in_session.clients.values("application_id")
    ).exclude(backchannel_logout_uri="")
    ids = logout_notifications.notifications_enqueue(
        applications=applications,
        issuer=issuer,
        subject=str(sign_in_session.user_id),
        sid=sid,
    )
    logout_notifications.send_after_commit(ids)
    return ids


@transaction.atomic
def sign_in_sessions_end_by_admin(*, sessions, actor, request) -> int:
    """An admin signs these sessions out: the browser's session is deleted (the user must sign
    in again), its refresh tokens end as at a sign-out (without ``offline_access``), and every
    app signed in during it is notified. Returns how many were live."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    issuer = oauth2_settings.oidc_issuer(request)
    count = 0
    for sign_in_session in sessions.filter(ended_at__isnull=True):
        if sign_in_session.session_key:
            store(session_key=sign_in_session.session_key).delete()
        sign_in_session_end(sid=sign_in_session.sid, issuer=issuer, request=request)
        AuditEvent.objects.record_admin_action(
            actor=actor, action="session_ended", request=request, user=sign_in_session.user
        )
        count += 1
    return count


def end_on_sign_out(sender, request=None, user=None, **kwargs) -> None:
    """Every sign-out (``POST /accounts/logout/``, RP-initiated logout, a host's own view) goes
    through Django's ``logout()``, which sends this before it flushes the session."""
    sid = request.session.get(SID_SESSION_KEY) if request is not None else None
    if sid:
        sign_in_session_end(sid=sid, issuer=oauth2_settings.oidc_issuer(request), request=request)


def connect() -> None:
    user_logged_out.connect(end_on_sign_out, dispatch_uid="oauth_portal.sign_in_sessions")


def sign_in_records_prune(*, older_than) -> int:
    """Delete what back-channel logout no longer needs: sessions ended, or begun longer ago
    than a session cookie lives, before ``older_than`` (with the apps signed in during them),
    and notifications delivered or given up on before then. Returns the rows deleted."""
    cutoff = timezone.now() - older_than
    cookie_cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE) - older_than
    sessions, _ = SignInSession.objects.filter(
        Q(ended_at__lt=cutoff) | Q(created__lt=cookie_cutoff)
    ).delete()
    notifications, _ = LogoutNotification.objects.filter(
        created__lt=cutoff,
        status__in=[LogoutNotification.Status.DELIVERED, LogoutNotification.Status.FAILED],
    ).delete()
    return sessions + notifications
