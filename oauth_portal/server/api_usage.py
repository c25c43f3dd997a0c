"""How much each app calls each of our APIs: one counter row per (app, API, day).

The resource APIs' bearer authentication counts every call it authenticates with one
statement, ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` (atomic on SQLite and PostgreSQL,
like the rate counters): no read first, no lock held, and the app and API ids are looked up
inside the statement from what the token names. The portal shows the counts next to each
subscription. ``PORTAL_API_USAGE_COUNTING`` turns counting off; a failed count is logged and
never fails the API call.
"""

import logging
from datetime import date, timedelta

from django.db import DatabaseError, connections, router
from django.db.models import Max, Sum
from django.utils import timezone

from oauth_portal.server import app_settings
from oauth_portal.server.models import ApiResource, ApiUsage, Application

logger = logging.getLogger(__name__)


def _sql(application_column: str) -> str:
    """The upsert, with only quoted names from the models' ``_meta`` formatted in."""
    connection = connections[router.db_for_write(ApiUsage)]
    quote = connection.ops.quote_name
    usage, apps, apis = (
        quote(model._meta.db_table) for model in (ApiUsage, Application, ApiResource)
    )
    return (
        f"INSERT INTO {usage} (application_id, api_id, day, calls, last_call) "  # noqa: S608
        f"SELECT a.id, r.id, %s, 1, %s FROM {apps} a, {apis} r "
        f"WHERE a.{quote(application_column)} = %s AND r.identifier = %s "
        f"ON CONFLICT (application_id, api_id, day) "
        f"DO UPDATE SET calls = {usage}.calls + 1, last_call = excluded.last_call"
    )


def api_call_count(
    *, api_identifier: str, application_id: int | None = None, client_id: str | None = None
) -> None:
    """Count one call to the API ``api_identifier`` by the app (its pk, or its client id for a
    JWT access token, which names only that)."""
    if not app_settings.PORTAL_API_USAGE_COUNTING:
        return
    column, value = (
        ("id", application_id) if application_id is not None else ("client_id", client_id)
    )
    if value is None:
        return
    connection = connections[router.db_for_write(ApiUsage)]
    now = timezone.now()
    params = [
        connection.ops.adapt_datefield_value(timezone.localdate(now)),
        connection.ops.adapt_datetimefield_value(now),
        value,
        api_identifier,
    ]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_sql(column), params)
    except DatabaseError:
        logger.warning("Could not count an API call", exc_info=True)


def usage_by_api(*, application, days: int = 7) -> dict[int, dict]:
    """``{api_id: {"today": n, "recent": n, "last_call": datetime}}`` for ``application``:
    calls today, calls over the last ``days`` days (today included), the latest call ever."""
    today = timezone.localdate()
    first: date = today - timedelta(days=days - 1)
    usage: dict[int, dict] = {}
    rows = (
        ApiUsage.objects.filter(application=application)
        .values("api_id")
        .annotate(last_call=Max("last_call"))
    )
    for row in rows:
        usage[row["api_id"]] = {"today": 0, "recent": 0, "last_call": row["last_call"]}
    recent = (
        ApiUsage.objects.filter(application=application, day__gte=first)
        .values("api_id", "day")
        .annotate(calls=Sum("calls"))
    )
    for row in recent:
        entry = usage.setdefault(row["api_id"], {"today": 0, "recent": 0, "last_call": None})
        entry["recent"] += row["calls"]
        if row["day"] == today:
            entry["today"] += row["calls"]
    return usage
