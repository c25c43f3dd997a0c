"""Sandbox and production: who may sign in to an app before it goes live, and going live.

A portal app starts in the sandbox (with ``PORTAL_PRODUCTION_REQUIRES_APPROVAL``, the default):
its keys work for its developer and for the test users the developer lists, as Google's apps
"in testing" work only for their test users and WSO2's sandbox keys only in the sandbox.
Anyone else is refused at ``/o/authorize/`` (a readable page) and at the token endpoint
(``invalid_grant``). Client credentials involve no user and work in the sandbox. An admin's
approval moves the app to production, where every user may sign in; apps made by an admin or
by ``createapplication`` start there.

One app, one set of keys: the environment is a property of the app, not a second client id,
so moving to production needs no change in the app's code (Google's model; WSO2 issues a
second key pair instead).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings
from oauth_portal.server.models import Application, SandboxTester
from oauth_portal.server.tokens import tokens_revoke

# Google allows 100 test users on an app in testing; enough to try an app, too few to run one.
MAX_SANDBOX_TESTERS = 100


def initial_environment() -> str:
    """Where a portal-registered app starts: the sandbox while production needs approval."""
    if app_settings.PORTAL_PRODUCTION_REQUIRES_APPROVAL:
        return Application.Environment.SANDBOX
    return Application.Environment.PRODUCTION


def tester_identifier(raw: str) -> str:
    """A test user as stored: a username as typed, an e-mail address in lower case."""
    value = raw.strip()
    return value.lower() if "@" in value else value


def tester_identifiers_of(user) -> list[str]:
    """What a listed test user may be written as: the username, and the e-mail address only
    when it is verified (otherwise anyone could sign up with a tester's address and get in).
    A host's user model without ``email_verified`` matches by username only."""
    identifiers = [user.get_username()]
    if getattr(user, "email_verified", False) and user.email:
        identifiers.append(user.email.strip().lower())
    return identifiers


def sandbox_admits(*, application: Application, user) -> bool:
    """Whether ``user`` may sign in to ``application`` while it is in the sandbox."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.pk == application.user_id:
        return True
    return application.sandbox_testers.filter(identifier__in=tester_identifiers_of(user)).exists()


@transaction.atomic
def sandbox_tester_add(
    *, application: Application, actor, identifier: str, request=None
) -> SandboxTester:
    """List a test user (a username or an e-mail address) who may use the sandbox app."""
    value = tester_identifier(identifier)
    if application.sandbox_testers.filter(identifier=value).exists():
        raise ValidationError(
            "%(value)s is already a test user of this app.",
            code="duplicate",
            params={"value": value},
        )
    if application.sandbox_testers.count() >= MAX_SANDBOX_TESTERS:
        raise ValidationError(
            "An app in the sandbox can have at most %(max)s test users; request production "
            "to open it to everyone.",
            code="too_many_testers",
            params={"max": MAX_SANDBOX_TESTERS},
        )
    try:
        with transaction.atomic():
            tester = SandboxTester.objects.create(application=application, identifier=value)
    except IntegrityError:  # the same person added twice at once (a double submit)
        raise ValidationError(
            "%(value)s is already a test user of this app.",
            code="duplicate",
            params={"value": value},
        ) from None
    AuditEvent.objects.record(
        event=AuditEvent.Type.SANDBOX_TESTER_ADDED,
        request=request,
        actor=actor,
        application=application,
        tester=value,
    )
    return tester


@transaction.atomic
def sandbox_tester_remove(*, application: Application, actor, tester_id: int, request=None) -> bool:
    """Take a test user off the list. While the app is in the sandbox, the tokens and codes
    that person holds for it are revoked at once (they could not get new ones anyway)."""
    tester = application.sandbox_testers.filter(pk=tester_id).first()
    if tester is None:
        return False
    tester.delete()
    revoked = 0
    if application.environment == Application.Environment.SANDBOX:
        for user in _users_matching(tester.identifier):
            if user.pk != application.user_id and not sandbox_admits(
                application=application, user=user
            ):
                revoked += tokens_revoke(application=application, user=user)
    AuditEvent.objects.record(
        event=AuditEvent.Type.SANDBOX_TESTER_REMOVED,
        request=request,
        actor=actor,
        application=application,
        tester=tester.identifier,
        access_tokens_revoked=revoked,
    )
    return True


def _users_matching(identifier: str):
    user_model = get_user_model()
    match = Q(**{user_model.USERNAME_FIELD: identifier})
    if "@" in identifier and "email" in {field.name for field in user_model._meta.fields}:
        match |= Q(email__iexact=identifier)
    return user_model.objects.filter(match)


@transaction.atomic
def production_request(*, application: Application, actor, request=None) -> bool:
    """The developer asks to go live. Without ``PORTAL_PRODUCTION_REQUIRES_APPROVAL`` the app
    moves to production at once; otherwise it waits for an admin. Returns whether it is live."""
    if application.environment == Application.Environment.PRODUCTION:
        return True
    if not app_settings.PORTAL_PRODUCTION_REQUIRES_APPROVAL:
        production_approve(application=application, actor=actor, request=request)
        return True
    if application.production_requested_at is None:
        application.production_requested_at = timezone.now()
        application.save(update_fields=["production_requested_at", "updated"])
        AuditEvent.objects.record(
            event=AuditEvent.Type.PRODUCTION_REQUESTED,
            request=request,
            actor=actor,
            application=application,
        )
    return False


@transaction.atomic
def production_approve(*, application: Application, actor, request=None) -> bool:
    """Move a sandbox app to production: every user may sign in from now on (the admin's
    action; the developer sees the new environment and the event on the app's page)."""
    if application.environment == Application.Environment.PRODUCTION:
        return False
    requested_at = application.production_requested_at
    application.environment = Application.Environment.PRODUCTION
    application.production_requested_at = None
    application.save(update_fields=["environment", "production_requested_at", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.PRODUCTION_APPROVED,
        request=request,
        actor=actor,
        application=application,
        requested_at=requested_at.isoformat() if requested_at else "",
    )
    return True
