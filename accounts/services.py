"""Account actions that leave a trace: sign-up, sign-in and sign-out, profile, e-mail
verification and passwords, each with its audit event."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.timesince import timeuntil

from accounts.tokens import email_verification_token
from oauth_portal.models import AuditEvent
from oauth_portal.services import audit_record

logger = logging.getLogger(__name__)

User = get_user_model()

PROFILE_FIELDS = ("first_name", "last_name", "email")


def sign_in_succeeded(*, request, user) -> None:
    """Record a successful sign-in (Django has already rotated the session key)."""
    audit_record(event=AuditEvent.Type.SIGN_IN_SUCCEEDED, request=request, actor=user, user=user)


def sign_in_failed(*, request, username: str) -> None:
    """Record a failed sign-in. The attempted name is kept (bounded), never the password."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    audit_record(
        event=AuditEvent.Type.SIGN_IN_FAILED,
        request=request,
        user=user,
        attempted_username=(username or "")[:150],
    )


def signed_out(*, request, user) -> None:
    audit_record(event=AuditEvent.Type.SIGNED_OUT, request=request, actor=user, user=user)


def user_sign_up(*, request, username: str, email: str, password: str) -> User:
    """Create an account with an unverified address and mail it a verification link.

    The caller signs the new user in; the mail goes out after the account is committed, so a
    mail server that is down costs a resend, not the account.
    """
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password)
        audit_record(event=AuditEvent.Type.SIGNED_UP, request=request, actor=user, user=user)
    email_verification_send(request=request, user=user)
    return user


def profile_update(
    *, request, user: User, first_name: str, last_name: str, email: str
) -> list[str]:
    """Save the names and address and return the names of the fields that changed.

    A new address (not merely a new letter case) is unproven: it loses its verified mark,
    which the OpenID ``email_verified`` claim reports, and gets a verification link.
    """
    new_values = {"first_name": first_name, "last_name": last_name, "email": email}
    changed = [name for name in PROFILE_FIELDS if getattr(user, name) != new_values[name]]
    if not changed:
        return []
    new_address = email.casefold() != user.email.casefold()
    with transaction.atomic():
        for name in changed:
            setattr(user, name, new_values[name])
        if new_address:
            user.email_verified = False
        user.save(update_fields=[*changed, "email_verified"])
        # Field names only: the values are personal data the audit log does not need.
        audit_record(
            event=AuditEvent.Type.PROFILE_CHANGED,
            request=request,
            actor=user,
            user=user,
            changed=changed,
        )
    if "email" in changed:
        # Any edit of the address kills the links already sent (the token covers it), so an
        # unverified address gets a fresh one.
        email_verification_send(request=request, user=user)
    return changed


def email_verification_send(*, request, user: User) -> bool:
    """Mail ``user`` a link that proves they read their address; False if there is nothing to
    verify (no address, or already verified)."""
    if not user.email or user.email_verified:
        return False
    path = reverse(
        "accounts:verify-email",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": email_verification_token.make_token(user),
        },
    )
    now = timezone.now()
    valid_until = now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    _mail_send(
        template="verify_email",
        user=user,
        context={
            "user": user,
            "verify_url": request.build_absolute_uri(path),
            "valid_for": timeuntil(valid_until, now),
        },
    )
    return True


def email_verify(*, request, uidb64: str, token: str) -> User | None:
    """Mark the address verified if ``token`` is a live verification token for the user in
    ``uidb64``; return that user, or None for a tampered, expired or used link."""
    user = _user_from_uidb64(uidb64)
    if user is None or not user.email or not email_verification_token.check_token(user, token):
        return None
    # Conditional update: of two racing clicks one records the event, and an address changed
    # since the check is not marked verified.
    verified = User.objects.filter(pk=user.pk, email=user.email, email_verified=False).update(
        email_verified=True
    )
    if not verified:
        return None
    user.email_verified = True
    audit_record(event=AuditEvent.Type.EMAIL_VERIFIED, request=request, actor=user, user=user)
    return user


def password_change_record(*, request, user: User) -> None:
    """Record a password change made by the signed-in user (Django's form saved it)."""
    audit_record(event=AuditEvent.Type.PASSWORD_CHANGED, request=request, actor=user, user=user)


def password_reset_request_record(*, request, email: str) -> None:
    """Record a reset request, whether or not the address belongs to an account.

    The requester sees the same page either way; the log keeps unknown addresses too, so
    someone probing for accounts shows up in it.
    """
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    audit_record(
        event=AuditEvent.Type.PASSWORD_RESET_REQUESTED,
        request=request,
        user=user,
        requested_email=email[:254],
    )


def password_reset_record(*, request, user: User) -> None:
    """Record a password set through a reset link (Django's form saved it)."""
    audit_record(event=AuditEvent.Type.PASSWORD_RESET, request=request, actor=user, user=user)


def _user_from_uidb64(uidb64: str) -> User | None:
    try:
        return User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist, ValidationError):
        return None


def _mail_send(*, template: str, user: User, context: dict) -> None:
    """Send the ``accounts/email/<template>`` subject/text/html triplet to ``user``.

    A failure is logged, not raised: the action that asked for the mail has already happened,
    and the user can ask for the mail again.
    """
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject="".join(subject.splitlines()),  # a header cannot hold a newline
        body=render_to_string(f"accounts/email/{template}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string(f"accounts/email/{template}.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:
        logger.exception("Failed to send the %s e-mail to user %s", template, user.pk)
