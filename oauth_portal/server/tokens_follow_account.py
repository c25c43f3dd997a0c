"""Tokens follow the account: deactivation and a new password revoke what the account gave away.

When a user is deactivated (``is_active`` turns False) or gets a new password, every access,
refresh and ID token they hold, in every app, and their pending authorization codes are revoked
at once (``oauth_portal.server.tokens.user_tokens_revoke``).

Why signals on ``settings.AUTH_USER_MODEL`` and not our views: the apps run on host sites with
their own user model, admin and password views (Django's ``auth.User``, ``PasswordResetConfirm
View``, the admin's "Active" box and password form, ``manage.py changepassword``, a host's own
code calling ``set_password()``). Every one of them ends in ``user.save()``, and none of them
calls us; a rule that lived in our views would not hold there. The pair costs nothing on the
frequent saves: a save whose ``update_fields`` names neither ``is_active`` nor ``password``
(``last_login`` at sign-in, a profile edit) reads nothing; any other save of an existing user
reads its stored row once, before the save, to see what changed.

What counts as a new password is what Django itself treats as one (the ``password_changed``
hook of its validators): ``set_password()`` before the save, or a password made unusable. Django
re-hashing a password at sign-in (a newer hasher) changes the hash, not the password, and
revokes nothing.

Our own password-change page asks instead: it saves inside ``password_change_keeps_tokens()``
unless the user ticked "Also sign out of connected apps", so only a ticked change revokes. A
host's password-change view, which cannot ask, revokes: the safe default.

Not covered, because no signal is sent: ``QuerySet.update(is_active=False)``. Tokens surviving
that are still refused everywhere (every bearer check, refresh and code redemption checks
``is_active``); call ``user_tokens_revoke`` after such an update to delete them too.
"""

import contextlib
import contextvars

from django.conf import settings
from django.contrib.auth.hashers import is_password_usable
from django.db.models.signals import post_save, pre_save

WATCHED_FIELDS = frozenset({"is_active", "password"})

_keeps_tokens = contextvars.ContextVar("password_change_keeps_tokens", default=False)


@contextlib.contextmanager
def password_change_keeps_tokens():
    """Within this block, a user's new password does not revoke their tokens (deactivation
    still does): for a password change whose user chose to stay signed in to their apps."""
    reset = _keeps_tokens.set(True)
    try:
        yield
    finally:
        _keeps_tokens.reset(reset)


def _watched(sender) -> list[str]:
    names = {field.attname for field in sender._meta.concrete_fields}
    return [name for name in ("is_active", "password") if name in names]


def _remember_stored_row(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save: read what is stored, if this save can change ``is_active`` or the password."""
    instance.__dict__.pop("_tokens_follow_stored", None)
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not WATCHED_FIELDS & set(update_fields):
        return
    fields = _watched(sender)
    stored = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    if stored is not None:
        instance.__dict__["_tokens_follow_stored"] = stored


def _revoke_on_change(sender, instance, **kwargs) -> None:
    """post_save: revoke every token of a user just deactivated or given a new password."""
    stored = instance.__dict__.pop("_tokens_follow_stored", None)
    if stored is None:
        return
    reason = _revocation_reason(instance, stored)
    if reason is not None:
        from oauth_portal.server.tokens import user_tokens_revoke

        user_tokens_revoke(user=instance, reason=reason)


def _revocation_reason(instance, stored: dict) -> str | None:
    if stored.get("is_active", True) and not getattr(instance, "is_active", True):
        return "deactivated"
    if "password" not in stored or stored["password"] == instance.password:
        return None
    # Django's hash upgrade at sign-in clears ``_password``: same password, new hash.
    set_anew = getattr(instance, "_password", None) is not None
    if (set_anew or not is_password_usable(instance.password)) and not _keeps_tokens.get():
        return "password_changed"
    return None


def connect() -> None:
    """Called from AccountsConfig.ready(), for whatever user model the site uses."""
    pre_save.connect(
        _remember_stored_row, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens-follow"
    )
    post_save.connect(
        _revoke_on_change, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens-follow"
    )
