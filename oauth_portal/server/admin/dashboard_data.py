"""The admin dashboard's queries: 30 days of events per day, client counts, the most
active clients. Drawn by ``dashboard``."""

from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application

TOKEN_EVENTS = [AuditEvent.Type.TOKEN_ISSUED, AuditEvent.Type.TOKEN_REFRESHED]


REUSE_EVENTS = [AuditEvent.Type.CODE_REUSED, AuditEvent.Type.REFRESH_REUSED]


def dashboard_days(*, days: int = 30) -> list[date]:
    """The last ``days`` calendar days (today included, in the current time zone), oldest first."""
    today = timezone.localdate()
    return [today - timedelta(days=back) for back in range(days - 1, -1, -1)]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def dashboard_events_per_day(*, types: list[str], days: int = 30) -> dict[str, dict[date, int]]:
    """How many audit events of each type happened on each of the last ``days`` days:
    ``{type: {day: count}}`` holding only the days that had events."""
    return AuditEvent.objects.counts_per_day(types=types, days=days)


def dashboard_tokens_per_day(*, days: int = 30) -> dict[str, dict[date, int]]:
    """Tokens issued (code or client credentials grant) and refreshed, per day."""
    return dashboard_events_per_day(types=TOKEN_EVENTS, days=days)


def dashboard_failed_sign_ins_per_day(*, days: int = 30) -> dict[str, dict[date, int]]:
    """Failed sign-ins and lockouts per day: a rise means someone is guessing passwords."""
    return dashboard_events_per_day(
        types=[AuditEvent.Type.SIGN_IN_FAILED, AuditEvent.Type.SIGN_IN_LOCKED_OUT], days=days
    )


def dashboard_reuse_detections_per_day(*, days: int = 30) -> dict[str, dict[date, int]]:
    """Authorization-code and refresh-token replays per day: each one means a stolen credential."""
    return dashboard_events_per_day(types=REUSE_EVENTS, days=days)


def dashboard_recent_reuse_detections(*, limit: int = 5) -> QuerySet[AuditEvent]:
    """The latest replay detections with their client and user, newest first."""
    return AuditEvent.objects.filter(type__in=REUSE_EVENTS).select_related("application", "user")[
        :limit
    ]


def dashboard_most_active_clients(*, days: int = 30, limit: int = 8) -> list[dict]:
    """The clients that got the most tokens (issued or refreshed) in the last ``days`` days."""
    since = _start_of(dashboard_days(days=days)[0])
    return list(
        AuditEvent.objects.filter(
            type__in=TOKEN_EVENTS, created__gte=since, application__isnull=False
        )
        .values("application", "application__name", "application__client_id")
        .annotate(count=Count("id"))
        .order_by("-count", "application__name")[:limit]
    )


def dashboard_client_status_counts() -> dict[str, int]:
    """How many clients are active, pending approval and suspended."""
    counts = dict.fromkeys(Application.Status.values, 0)
    for row in Application.objects.values("status").annotate(count=Count("id")).order_by():
        counts[row["status"]] = row["count"]
    return counts
