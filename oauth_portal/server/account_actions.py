"""What an operator does to one user's account in an incident: suspend it, or revoke every token
it gave away while it stays usable. Shared by the ``suspend_user`` and ``revoke_user_tokens``
commands (and any admin action that wants the same effect)."""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import transaction
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.tokens import user_tokens_revoke


@dataclass(frozen=True)
class AccountActionResult:
    access_tokens_revoked: int
    # None when sessions live outside the database (cache or signed cookies): they cannot be
    # listed, and end on their next request because Django refuses an inactive user's session.
    sessions_ended: int | None = None
    was_active: bool = True


def user_by_username(username: str):
    """The user whose USERNAME_FIELD is ``username``, or None."""
    user_model = get_user_model()
    return user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()


def user_sessions_end(*, user) -> int | None:
    """Delete every stored session signed in as ``user``; how many, or None when the session
    engine keeps no list of sessions (cache, signed cookies).

    Sessions are stored encoded, so finding a user's means reading the unexpired ones: fine for
    an operator's command, not for a request.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return None
    ended = 0
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    for session in sessions.iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user.pk):
            # Through the store, so a cached_db session leaves the cache as well.
            store_class(session.session_key).delete()
            ended += 1
    return ended


@transaction.atomic
def user_suspend(*, user, actor=None, reason: str = "", request=None) -> AccountActionResult:
    """Deactivate ``user``, revoke every token and pending code they hold and end their sessions.

    Deactivation alone already revokes (``tokens_follow_account``); revoking first here counts
    what died, for the operator's report and the audit event. Suspending an inactive account
    again still revokes and ends whatever is left.
    """
    was_active = user.is_active
    revoked = user_tokens_revoke(user=user, reason="suspended", request=request)
    if was_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    sessions = user_sessions_end(user=user)
    AuditEvent.objects.record_admin_action(
        actor=actor,
        action="user_suspended",
        request=request,
        user=user,
        reason=reason,
        access_tokens_revoked=revoked,
        sessions_ended=sessions,
        was_active=was_active,
    )
    return AccountActionResult(
        access_tokens_revoked=revoked, sessions_ended=sessions, was_active=was_active
    )


@transaction.atomic
def user_tokens_revoke_all(*, user, actor=None, reason: str = "", request=None) -> int:
    """Revoke every token and pending code ``user`` holds in every app, leaving the account and
    its sign-in sessions alone (a leaked token, a lost device). Returns the access tokens revoked.
    """
    revoked = user_tokens_revoke(user=user, reason="operator", request=request)
    AuditEvent.objects.record_admin_action(
        actor=actor,
        action="user_tokens_revoked",
        request=request,
        user=user,
        reason=reason,
        access_tokens_revoked=revoked,
    )
    return revoked
