"""The audit log: one row per security-relevant event, written only through
``AuditEvent.objects.record`` (as Django admin's ``LogEntry.objects.log_action``), so every app
records without importing another app's services."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oauth_portal.audit.client_address import client_ip_address
from oauth_portal.db import compiled_writes

# Keys that must never reach an audit event or a log line, whoever passes them in.
SECRET_DETAIL_KEYS = frozenset(
    {"access_token", "refresh_token", "id_token", "code", "client_secret", "password", "token"}
)


def request_origin(request) -> tuple[str | None, str]:
    """Client IP and user agent from a Django request or an oauthlib request."""
    if request is None:
        return None, ""
    meta = getattr(request, "META", None) or getattr(request, "headers", None) or {}
    ip_address = client_ip_address(meta)
    user_agent = str(meta.get("HTTP_USER_AGENT", ""))[:300]
    return ip_address, user_agent


def _real_user(user):
    return user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None


class AuditEventManager(models.Manager):
    def record(
        self,
        *,
        event: str,
        request=None,
        actor=None,
        user=None,
        application=None,
        **details: Any,
    ) -> "AuditEvent":
        """Append one audit event. The only way events are written (with ``record_in_batch``).

        ``request`` may be a Django or an oauthlib request; the IP address and user agent come
        from it. Details are small JSON values; anything named like a credential is dropped.
        """
        audit_event = self._event(event, request, actor, user, application, details)
        compiled_writes.insert(audit_event)  # every token issued writes one: compiled once
        return audit_event

    def record_in_batch(self, *, event: str, request=None, user=None, application=None, **details):
        """``record``, with the row sent among the writes the token endpoint holds back for the
        end of its request (``compiled_writes.batched``): issuing a token then costs no round
        trip for its audit event. Outside a batch it is written at once. Written or not, it is
        in the request's transaction; its ``id`` is set once it is written."""
        audit_event = self._event(event, request, None, user, application, details)
        compiled_writes.insert(audit_event, hold=True)
        return audit_event

    def _event(self, event, request, actor, user, application, details) -> "AuditEvent":
        ip_address, user_agent = request_origin(request)
        safe_details = {k: v for k, v in details.items() if k not in SECRET_DETAIL_KEYS}
        return self.model(
            type=event,
            actor=_real_user(actor),
            user=_real_user(user),
            application=application if getattr(application, "pk", None) else None,
            ip_address=ip_address,
            user_agent=user_agent,
            details=safe_details,
        )

    def record_admin_action(
        self, *, actor, action: str, request=None, application=None, user=None, **details: Any
    ) -> "AuditEvent":
        """An admin action that no more specific event type covers (exports, pruning)."""
        return self.record(
            event=AuditEvent.Type.ADMIN_ACTION,
            request=request,
            actor=actor,
            user=user,
            application=application,
            action=action,
            **details,
        )

    def counts_per_day(self, *, types: list[str], days: int, **filters) -> dict[str, dict]:
        """How many events of each type happened on each of the last ``days`` calendar days
        (today included, in the current time zone): ``{type: {day: count}}``, days with events
        only. One query, grouped by day and type in SQL; ``filters`` narrow it (an application).
        """
        first_day = timezone.localdate() - timedelta(days=days - 1)
        since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
        rows = (
            self.filter(type__in=types, created__gte=since, **filters)
            .annotate(day=TruncDate("created"))
            .values("day", "type")
            .annotate(count=Count("id"))
            .order_by()
        )
        counts: dict[str, dict] = {event_type: {} for event_type in types}
        for row in rows:
            counts[row["type"]][row["day"]] = row["count"]
        return counts

    def prune(self, *, older_than: timedelta, batch_size: int = 1000, actor=None) -> int:
        """Delete events older than ``older_than``, ``batch_size`` rows per statement.

        Small batches keep each transaction (and its locks) short on a large table. The pruning
        itself is recorded, so the log shows where its history was cut.
        """
        cutoff = timezone.now() - older_than
        deleted = 0
        while True:
            batch = list(
                self.filter(created__lt=cutoff)
                .order_by("created", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                break
            deleted += self.filter(pk__in=batch).delete()[0]
        self.record_admin_action(
            actor=actor, action="audit_pruned", deleted=deleted, cutoff=cutoff.isoformat()
        )
        return deleted


class AuditEvent(models.Model):
    """One security-relevant thing that happened. Append-only; never holds a secret or token."""

    class Type(models.TextChoices):
        SIGN_IN_SUCCEEDED = "sign_in.succeeded", _("Sign-in succeeded")
        SIGN_IN_FAILED = "sign_in.failed", _("Sign-in failed")
        SIGN_IN_LOCKED_OUT = "sign_in.locked_out", _("Sign-in locked out")
        SIGNED_OUT = "sign_out", _("Signed out")
        SIGNED_UP = "account.signed_up", _("Account created")
        PASSWORD_CHANGED = "account.password_changed", _("Password changed")
        PASSWORD_RESET_REQUESTED = "account.password_reset_requested", _("Password reset requested")
        PASSWORD_RESET = "account.password_reset", _("Password reset")
        PROFILE_CHANGED = "account.profile_changed", _("Profile changed")
        EMAIL_VERIFIED = "account.email_verified", _("E-mail verified")
        CONSENT_GRANTED = "consent.granted", _("Consent granted")
        CONSENT_DENIED = "consent.denied", _("Consent denied")
        CONSENT_REVOKED = "consent.revoked", _("Consent revoked")
        CONSENT_SCOPE_REMOVED = "consent.scope_removed", _("Scope removed from consent")
        CODE_ISSUED = "code.issued", _("Authorization code issued")
        CODE_REUSED = "code.reused", _("Authorization code reuse detected")
        TOKEN_ISSUED = "token.issued", _("Token issued")
        TOKEN_REFRESHED = "token.refreshed", _("Token refreshed")
        TOKEN_REVOKED = "token.revoked", _("Token revoked")
        TOKENS_REVOKED = "token.revoked_all", _("All tokens of an app revoked")
        REFRESH_REUSED = "token.refresh_reused", _("Refresh token reuse detected")
        # A refresh token revoked on purpose (access removed, signed out, revoked) used again:
        # an app that has not caught up, not a stolen token.
        REFRESH_AFTER_REVOCATION = "token.refresh_revoked", _("Revoked refresh token presented")
        CLIENT_CREATED = "client.created", _("Client created")
        CLIENT_CHANGED = "client.changed", _("Client changed")
        CLIENT_APPROVED = "client.approved", _("Client approved")
        CLIENT_SUSPENDED = "client.suspended", _("Client suspended")
        CLIENT_REACTIVATED = "client.reactivated", _("Client reactivated")
        CLIENT_DELETED = "client.deleted", _("Client deleted")
        SANDBOX_TESTER_ADDED = "client.tester_added", _("Test user added")
        SANDBOX_TESTER_REMOVED = "client.tester_removed", _("Test user removed")
        PRODUCTION_REQUESTED = "client.production_requested", _("Production requested")
        PRODUCTION_APPROVED = "client.production_approved", _("Moved to production")
        SUBSCRIBED = "subscription.created", _("Subscribed to an API")
        SUBSCRIPTION_APPROVED = "subscription.approved", _("Subscription approved")
        SUBSCRIPTION_REJECTED = "subscription.rejected", _("Subscription rejected")
        UNSUBSCRIBED = "subscription.deleted", _("Unsubscribed from an API")
        SECRET_ROTATED = "client.secret_rotated", _("Client secret rotated")
        SECRET_DELETED = "client.secret_deleted", _("Previous client secret deleted")
        API_CHANGED = "api.changed", _("API changed")
        SCOPE_CHANGED = "scope.changed", _("Scope changed")
        ADMIN_ACTION = "admin.action", _("Admin action")
        RATE_LIMITED = "rate_limited", _("Rate limit hit")
        SIGNING_KEY_CREATED = "signing_key.created", _("Signing key created")
        SIGNING_KEY_ROTATED = "signing_key.rotated", _("Signing key rotated")
        ROLE_ASSIGNED = "role.assigned", _("Role assigned")
        ROLE_UNASSIGNED = "role.unassigned", _("Role removed from a user")
        ROLE_CHANGED = "role.changed", _("Role changed")
        CLAIM_CHANGED = "claim.changed", _("Custom claim changed")
        DEVICE_APPROVED = "device.approved", _("Device authorization approved")
        DEVICE_DENIED = "device.denied", _("Device authorization denied")
        LOGOUT_NOTIFICATION_DELIVERED = (
            "logout_notification.delivered",
            _("Back-channel logout delivered"),
        )
        LOGOUT_NOTIFICATION_FAILED = "logout_notification.failed", _("Back-channel logout failed")
        MFA_ENROLLED = "mfa.enrolled", _("Second factor added")
        MFA_REMOVED = "mfa.removed", _("Second factor removed")
        MFA_RESET = "mfa.reset", _("Second factors reset by an admin")
        MFA_RECOVERY_CODES_GENERATED = "mfa.recovery_codes_generated", _("Recovery codes created")
        MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used", _("Recovery code used")
        MFA_CODE_FAILED = "mfa.code_failed", _("Wrong second-step code")

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    type = models.CharField(max_length=64, choices=Type.choices, db_index=True)
    # Who did it (a signed-in person), and whose data it concerns (the resource owner).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventManager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["application", "-created"]),
            # The dashboard's daily counts: a few types over the last days, read from the index
            # alone instead of every row since the cut-off date (``counts_per_day``).
            models.Index(fields=["type", "created"], name="audit_type_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_type_display()} at {self.created:%Y-%m-%d %H:%M:%S}"
