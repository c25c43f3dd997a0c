"""Guessing limits on second-step codes, on the rate-limit counters sign-in uses.

Wrong codes count per (account, address), with a higher ceiling per address and one per
account (reachable only by someone who already has the password); a try refused during a lock
is neither checked nor counted, so it cannot extend the lock; a right code never counts.
"""

from oauth_portal.audit.client_address import address_allowlisted, client_address_bucket
from oauth_portal.audit.models import AuditEvent
from oauth_portal.mfa import app_settings
from oauth_portal.server.ratelimits import Check, Exceeded, failures_count, first_exceeded_limit


def code_checks(request, user) -> list[Check]:
    address = client_address_bucket(request.META) or "unknown"
    checks = [
        ("mfa-code-failures", f"{user.pk}\n{address}", app_settings.PORTAL_MFA_CODE_FAILURES),
        (
            "mfa-code-failures-account",
            str(user.pk),
            app_settings.PORTAL_MFA_CODE_FAILURES_PER_ACCOUNT,
        ),
    ]
    if not address_allowlisted(address):
        checks.append(
            ("mfa-code-failures-ip", address, app_settings.PORTAL_MFA_CODE_FAILURES_PER_IP)
        )
    return checks


def code_lock(request, user) -> Exceeded | None:
    """The lock this try falls under, if any (read only: nothing is counted)."""
    return first_exceeded_limit(peek=code_checks(request, user))


def code_failed(request, user) -> None:
    """Count a wrong code and record it; a lock that starts now is recorded once."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.MFA_CODE_FAILED, request=request, actor=user, user=user
    )
    for group in failures_count(code_checks(request, user)):
        AuditEvent.objects.record(
            event=AuditEvent.Type.RATE_LIMITED, request=request, user=user, limit=group
        )
