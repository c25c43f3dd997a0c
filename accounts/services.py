"""Account actions that leave a trace: sign-in and sign-out, with their audit events."""

from django.contrib.auth import get_user_model

from oauth_portal.models import AuditEvent
from oauth_portal.services import audit_record


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
