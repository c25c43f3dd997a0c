"""The admin dashboard's 30-day charts read the audit log through its (type, created) index,
so they stay fast on a log of millions of rows instead of reading every one of them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.admin import dashboard_data

# Committed rows, so ANALYZE (PostgreSQL) counts them as a production log would be counted.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INDEX = "audit_type_created_idx"
TOKEN_ISSUED = AuditEvent.Type.TOKEN_ISSUED
CHARTED = [
    *dashboard_data.TOKEN_EVENTS,
    AuditEvent.Type.SIGN_IN_FAILED,
    AuditEvent.Type.SIGN_IN_LOCKED_OUT,
    *dashboard_data.REUSE_EVENTS,
]


def make_history() -> None:
    """A year of log where each charted type is a small share of the rows."""
    now = timezone.now()
    types = CHARTED + [AuditEvent.Type.SIGN_IN_SUCCEEDED] * 4 * len(CHARTED)
    AuditEvent.objects.bulk_create(AuditEvent(type=types[n % len(types)]) for n in range(7300))
    pks = list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True))
    for back in range(365):
        AuditEvent.objects.filter(pk__in=pks[back::365]).update(created=now - timedelta(days=back))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # Small tables make a sequential scan the cheapest plan; the question here is
        # whether the index serves the query at all, as it does on a large log.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def chart_query(chart) -> str:
    with CaptureQueriesContext(connection) as queries:
        chart()
    (query,) = [q["sql"] for q in queries.captured_queries if "portal_audit_auditevent" in q["sql"]]
    return query


@pytest.mark.parametrize(
    "chart",
    [
        dashboard_data.dashboard_tokens_per_day,
        dashboard_data.dashboard_failed_sign_ins_per_day,
        dashboard_data.dashboard_reuse_detections_per_day,
    ],
)
def test_each_daily_chart_reads_the_type_and_date_index(chart):
    make_history()

    plan = plan_of(chart_query(chart))

    assert "SCAN portal_audit_auditevent\n" not in plan + "\n", plan
    assert "Seq Scan" not in plan, plan
    if connection.vendor == "sqlite":
        assert INDEX in plan, plan
    else:
        # On a log this small PostgreSQL's planner may take either index (type and time, or
        # time alone) once sequential scans are off; what matters is that one serves it.
        assert "Index" in plan, plan


def test_the_indexed_query_counts_what_it_did_before():
    make_history()

    counts = dashboard_data.dashboard_tokens_per_day()

    today = timezone.localdate()
    issued = counts[TOKEN_ISSUED]
    assert (
        sum(issued.values())
        == AuditEvent.objects.filter(
            type=TOKEN_ISSUED,
            created__date__gte=today - timedelta(days=29),
        ).count()
    )
    assert issued
