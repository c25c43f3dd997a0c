"""Reading the audit log in tests."""

import json

from oauth_portal.audit.models import AuditEvent


def events_of(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(type=event_type).order_by("id"))


def only_event(event_type: str) -> AuditEvent:
    events = events_of(event_type)
    assert len(events) == 1, [e.type for e in AuditEvent.objects.all()]
    return events[0]


def all_event_text() -> str:
    """Everything the audit log holds, as one string to search for leaked secrets."""
    rows = AuditEvent.objects.values("type", "details", "user_agent", "ip_address")
    return json.dumps(list(rows), default=str)
