"""Every audit event, as it is written, also goes to the metrics and to the log stream.

The audit table answers "what happened to this user or client"; the log stream and Prometheus
are where an operations team looks first. A ``post_save`` receiver keeps the audit app a leaf:
it knows nothing of either. Details never hold a credential (the audit manager drops those keys
before the row is written), so the log line can carry them.
"""

import logging

from django.db.models.signals import post_save

from oauth_portal.audit.models import AuditEvent
from oauth_portal.observability import metrics, request_context

logger = logging.getLogger("oauth_portal.audit")

_REUSE = {
    AuditEvent.Type.CODE_REUSED: "authorization_code",
    AuditEvent.Type.REFRESH_REUSED: "refresh_token",
}


def connect() -> None:
    post_save.connect(audit_event_written, sender=AuditEvent, dispatch_uid="audit_stream")


def audit_event_written(sender, instance: AuditEvent, created: bool, **kwargs) -> None:
    if not created:
        return
    event_type = instance.type
    client_id = instance.application.client_id if instance.application_id else None
    metrics.AUDIT_EVENTS.labels(type=event_type).inc()
    if event_type in (AuditEvent.Type.TOKEN_ISSUED, AuditEvent.Type.TOKEN_REFRESHED):
        metrics.TOKENS_ISSUED.labels(
            grant_type=str(instance.details.get("grant_type", "unknown"))[:40],
            client_id=client_id or "",
        ).inc()
    elif event_type == AuditEvent.Type.RATE_LIMITED:
        metrics.RATE_LIMITED.labels(limit=str(instance.details.get("limit", "unknown"))[:60]).inc()
    elif event_type == AuditEvent.Type.SIGN_IN_LOCKED_OUT:
        metrics.SIGN_IN_LOCKOUTS.inc()
    elif event_type in _REUSE:
        metrics.REUSE_DETECTED.labels(credential=_REUSE[event_type]).inc()
    request_context.bind(client_id=client_id, user_id=instance.user_id)
    logger.info(
        "audit event %s",
        event_type,
        extra={
            "event": "audit",
            "audit_type": event_type,
            "audit_id": instance.pk,
            "actor_id": instance.actor_id,
            "subject_user_id": instance.user_id,
            "audit_client_id": client_id,
            "ip": instance.ip_address,
            "details": instance.details,
        },
    )
