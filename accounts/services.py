"""Account actions that leave a trace: sign-up, sign-in and sign-out, profile, e-mail
verification and passwords, each with its audit event.

Account e-mails go to addresses people type, so they are where a stranger could spam someone
else's inbox or learn who has an account here. Sign-up and address changes therefore answer
the same whether or not an address is taken (as django-allauth's enumeration prevention does,
several accounts may hold one address unverified; only one can ever verify it, and the owner of
a verified address gets a notice instead of a link). Every mail counts against a budget per
target address, and every request for one against its client address (and account).
"""

import logging
import math
from dataclasses import dataclass
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
from oauth_portal.audit.client_address import client_address_bucket
from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.ratelimits import first_exceeded_limit

logger = logging.getLogger(__name__)

User = get_user_model()

PROFILE_FIELDS = ("first_name", "last_name", "email")

# Kinds of mail with a budget of their own per target address: sign-up noise cannot hold back
# the owner's password reset.
VERIFICATION_MAILS = "account-mail-verify"
RESET_MAILS = "account-mail-reset"


class TooManyMails(Exception):  # noqa: N818 - reads as what happened
    """A request for an account e-mail refused before anything changed (429)."""

    def __init__(self, *, retry_after: int, per_target: bool):
        super().__init__(f"Too many account e-mails; retry after {retry_after} s")
        self.retry_after = retry_after
        self.per_target = per_target

    @property
    def wait(self) -> str:
        return wait_words(self.retry_after)


@dataclass(frozen=True)
class MailOutcome:
    """What became of an account mail. ``sent`` covers a link and a notice alike: the
    requester must not learn which one the address got."""

    sent: bool
    retry_after: int = 0  # seconds, when the target's budget held the mail back

    @property
    def held_back(self) -> bool:
        return self.retry_after > 0

    @property
    def wait(self) -> str:
        return wait_words(self.retry_after)


def wait_words(seconds: int) -> str:
    """A wait in whole minutes, as a person reads it: "1 minute", "42 minutes"."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def account_mail_request_count(*, request, user=None) -> None:
    """Count a request that sends an account e-mail against its client address (and the
    signed-in account); raise ``TooManyMails`` over a limit, before anything changes."""
    checks = [
        (
            "account-mail-ip",
            client_address_bucket(request.META) or "unknown",
            settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_IP,
        )
    ]
    if user is not None:
        checks.append(
            (
                "account-mail-account",
                str(user.pk),
                settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ACCOUNT,
            )
        )
    retry_after = _limit_reached(request=request, checks=checks)
    if retry_after:
        raise TooManyMails(retry_after=retry_after, per_target=False)


def _address_budget_spent(*, request, kind: str, address: str) -> int:
    """Count one mail of ``kind`` to ``address`` (any letter case); the seconds until the
    budget refills when it is spent, else 0. Unknown addresses count alike, so the limit
    says nothing about who has an account."""
    rate = settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ADDRESS
    return _limit_reached(request=request, checks=[(kind, address.casefold(), rate)])


def _limit_reached(*, request, checks) -> int:
    exceeded = first_exceeded_limit(count=checks)
    if exceeded is None:
        return 0
    AuditEvent.objects.record(
        event=AuditEvent.Type.RATE_LIMITED,
        request=request,
        limit=exceeded.group,
        path=request.path[:200],
    )
    return exceeded.retry_after


def sign_in_succeeded(*, request, user) -> None:
    """Record a successful sign-in (Django has already rotated the session key)."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.SIGN_IN_SUCCEEDED, request=request, actor=user, user=user
    )


def sign_in_failed(*, request, username: str) -> None:
    """Record a failed sign-in. The attempted name is kept (bounded), never the password."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    AuditEvent.objects.record(
        event=AuditEvent.Type.SIGN_IN_FAILED,
        request=request,
        user=user,
        attempted_username=(username or "")[:150],
    )


def signed_out(*, request, user) -> None:
    AuditEvent.objects.record(
        event=AuditEvent.Type.SIGNED_OUT, request=request, actor=user, user=user
    )


def user_sign_up(*, request, username: str, email: str, password: str) -> tuple[User, MailOutcome]:
    """Create an account with an unverified address and mail it (``email_verification_send``).

    The account is created whether or not another account has the address, so sign-up does
    not reveal it. The caller signs the new user in; the mail goes out after the account is
    committed, so a mail server that is down costs a resend, not the account. Raises
    ``TooManyMails`` (nothing created) when this client address has asked for too many mails.
    """
    account_mail_request_count(request=request)
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password)
        AuditEvent.objects.record(
            event=AuditEvent.Type.SIGNED_UP, request=request, actor=user, user=user
        )
    return user, email_verification_send(request=request, user=user)


def profile_update(
    *, request, user: User, first_name: str, last_name: str, email: str
) -> tuple[list[str], MailOutcome | None]:
    """Save the names and address; return the names of the fields that changed and, for a
    changed address, what became of its mail.

    A new address (not merely a new letter case) is unproven: it loses its verified mark,
    which the OpenID ``email_verified`` claim reports, and gets a verification link (or its
    owner a notice, as at sign-up). Raises ``TooManyMails`` (nothing saved) when this account
    or client address has asked for too many mails.
    """
    new_values = {"first_name": first_name, "last_name": last_name, "email": email}
    changed = [name for name in PROFILE_FIELDS if getattr(user, name) != new_values[name]]
    if not changed:
        return [], None
    new_address = email.casefold() != user.email.casefold()
    if "email" in changed:
        account_mail_request_count(request=request, user=user)
    with transaction.atomic():
        for name in changed:
            setattr(user, name, new_values[name])
        if new_address:
            user.email_verified = False
        user.save(update_fields=[*changed, "email_verified"])
        # Field names only: the values are personal data the audit log does not need.
        AuditEvent.objects.record(
            event=AuditEvent.Type.PROFILE_CHANGED,
            request=request,
            actor=user,
            user=user,
            changed=changed,
        )
    if "email" in changed:
        # Any edit of the address kills the links already sent (the token covers it), so an
        # unverified address gets a fresh one.
        return changed, email_verification_send(request=request, user=user)
    return changed, None


def email_verification_resend(*, request, user: User) -> MailOutcome:
    """A new verification mail for the signed-in user's own address (see
    ``email_verification_send``); raises ``TooManyMails`` when the account or client address
    has asked for too many."""
    account_mail_request_count(request=request, user=user)
    return email_verification_send(request=request, user=user)


def email_verification_send(*, request, user: User) -> MailOutcome:
    """Mail ``user``'s unverified address a link that proves they read it; nothing is sent
    when there is nothing to verify, or when the address has had its budget of mails.

    When another account has verified the address, its owner gets a notice instead: this
    account could never verify it, and the owner learns someone tried.
    """
    if not user.email or user.email_verified:
        return MailOutcome(sent=False)
    retry_after = _address_budget_spent(
        request=request, kind=VERIFICATION_MAILS, address=user.email
    )
    if retry_after:
        return MailOutcome(sent=False, retry_after=retry_after)
    if _verified_by_another_account(user):
        _address_in_use_notice_send(request=request, address=user.email)
    else:
        _verification_link_send(request=request, user=user)
    return MailOutcome(sent=True)


def _verified_by_another_account(user: User) -> bool:
    others = User.objects.filter(email__iexact=user.email, email_verified=True)
    return others.exclude(pk=user.pk).exists()


def _address_in_use_notice_send(*, request, address: str) -> None:
    _mail_send(
        template="address_in_use",
        to=address,
        context={
            "sign_in_url": request.build_absolute_uri(reverse("accounts:login")),
            "reset_url": request.build_absolute_uri(reverse("accounts:password-reset")),
        },
    )


def _verification_link_send(*, request, user: User) -> None:
    path = reverse(
        "accounts:verify-email",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": email_verification_token.make_token(user),
        },
    )
    now = timezone.now()
    valid_until = now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    # Only the address and our own link: the account's names and username are the account
    # holder's words, and the address may be someone else's inbox.
    _mail_send(
        template="verify_email",
        to=user.email,
        context={
            "email": user.email,
            "verify_url": request.build_absolute_uri(path),
            "valid_for": timeuntil(valid_until, now),
        },
    )


def email_verify(*, request, uidb64: str, token: str) -> User | None:
    """Mark the address verified if ``token`` is a live verification token for the user in
    ``uidb64``; return that user, or None for a tampered, expired or used link."""
    user = _user_from_uidb64(uidb64)
    if user is None or not user.email or not email_verification_token.check_token(user, token):
        return None
    if not _verified_mark_set(user):
        return None
    user.email_verified = True
    AuditEvent.objects.record(
        event=AuditEvent.Type.EMAIL_VERIFIED, request=request, actor=user, user=user
    )
    return user


@transaction.atomic
def _verified_mark_set(user: User) -> bool:
    """Mark ``user``'s address verified unless another account already verified it.

    Every account holding the address is locked first (in one order), so two accounts racing
    to verify one address cannot both win. The conditional update makes one of two racing
    clicks record the event, and leaves an address changed since the check unverified.
    """
    holders = User.objects.select_for_update().filter(email__iexact=user.email).order_by("pk")
    if any(holder.email_verified for holder in holders if holder.pk != user.pk):
        return False
    return bool(
        User.objects.filter(pk=user.pk, email=user.email, email_verified=False).update(
            email_verified=True
        )
    )


def password_change_record(*, request, user: User) -> None:
    """Record a password change made by the signed-in user (Django's form saved it)."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.PASSWORD_CHANGED, request=request, actor=user, user=user
    )


def password_reset_request_count(*, request, email: str) -> None:
    """Count a reset request against its client address and the address it names (known or
    not, so the limit reveals nothing); raise ``TooManyMails`` before any mail goes out."""
    account_mail_request_count(request=request)
    retry_after = _address_budget_spent(request=request, kind=RESET_MAILS, address=email)
    if retry_after:
        raise TooManyMails(retry_after=retry_after, per_target=True)


def password_reset_request_record(*, request, email: str) -> None:
    """Record a reset request, whether or not the address belongs to an account.

    The requester sees the same page either way; the log keeps unknown addresses too, so
    someone probing for accounts shows up in it.
    """
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    AuditEvent.objects.record(
        event=AuditEvent.Type.PASSWORD_RESET_REQUESTED,
        request=request,
        user=user,
        requested_email=email[:254],
    )


def password_reset_record(*, request, user: User) -> None:
    """Record a password set through a reset link (Django's form saved it)."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.PASSWORD_RESET, request=request, actor=user, user=user
    )


def _user_from_uidb64(uidb64: str) -> User | None:
    try:
        return User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, User.DoesNotExist, ValidationError):
        return None


def _mail_send(*, template: str, to: str, context: dict) -> None:
    """Send the ``accounts/email/<template>`` subject/text/html triplet to the address ``to``.

    A failure is logged, not raised: the action that asked for the mail has already happened,
    and the user can ask for the mail again.
    """
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject="".join(subject.splitlines()),  # a header cannot hold a newline
        body=render_to_string(f"accounts/email/{template}.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"accounts/email/{template}.html", context), "text/html"
    )
    try:
        message.send()
    except Exception:
        logger.exception("Failed to send the %s e-mail", template)
