"""How much each app calls each of our APIs: one counter row per (app, API, day).

The resource APIs' bearer authentication counts every call it authenticates. A call must stay
free of database work when its token is cached (tests/server/test_bearer_cache.py), so calls are
counted in memory, per process, and written in batches: when ``PORTAL_API_USAGE_FLUSH_SECONDS``
(10 s by default; 0 writes on every call) have passed since the last write, the call that notices
writes everything counted since with one statement (``executemany`` of an ``INSERT ... SELECT
... ON CONFLICT DO UPDATE``, atomic on SQLite and PostgreSQL like the rate counters). The app and
API ids are looked up inside the statement from what the token names, so no read comes first,
and a count whose app has gone since inserts nothing.

Days are the site's (``TIME_ZONE``), not whichever time zone a request activated: a call counts
on the same day whoever reads it, and finding the day costs no look-up of the request's time
zone on every call.

The price of batching: the portal shows a process's counts up to that many seconds late, and a
process that dies loses what it had not written yet. Usage is a developer's view of their
traffic, not billing, so that is the right trade. ``PORTAL_API_USAGE_COUNTING`` turns counting
off; a failed write is logged and never fails the API call.
"""

import logging
import threading
import time
from datetime import date, timedelta

from django.db import DatabaseError, connections, router
from django.db.models import Max, Sum
from django.utils import timezone

from oauth_portal.server import app_settings
from oauth_portal.server.models import ApiResource, ApiUsage, Application

logger = logging.getLogger(__name__)

# (application column, its value, API identifier, day) -> [calls, last call]
_counts: dict[tuple, list] = {}
_lock = threading.Lock()
_state = {"written": 0.0}


def _sql(application_column: str) -> str:
    """The upsert, with only quoted names from the models' ``_meta`` formatted in."""
    connection = connections[router.db_for_write(ApiUsage)]
    quote = connection.ops.quote_name
    usage, apps, apis = (
        quote(model._meta.db_table) for model in (ApiUsage, Application, ApiResource)
    )
    return (
        f"INSERT INTO {usage} (application_id, api_id, day, calls, last_call) "  # noqa: S608
        f"SELECT a.id, r.id, %s, %s, %s FROM {apps} a, {apis} r "
        f"WHERE a.{quote(application_column)} = %s AND r.identifier = %s "
        f"ON CONFLICT (application_id, api_id, day) "
        f"DO UPDATE SET calls = {usage}.calls + excluded.calls, last_call = CASE "
        f"WHEN excluded.last_call > {usage}.last_call THEN excluded.last_call "
        f"ELSE {usage}.last_call END"
    )


def api_call_count(
    *, api_identifier: str, application_id: int | None = None, client_id: str | None = None
) -> None:
    """Count one call to the API ``api_identifier`` by the app (its pk, or its client id for a
    JWT access token, which names only that); write the batch when it is due."""
    if not app_settings.PORTAL_API_USAGE_COUNTING:
        return
    column, value = (
        ("id", application_id) if application_id is not None else ("client_id", client_id)
    )
    if value is None:
        return
    now = timezone.now()
    key = (column, value, api_identifier, timezone.localdate(now, timezone.get_default_timezone()))
    with _lock:
        entry = _counts.setdefault(key, [0, now])
        entry[0] += 1
        entry[1] = max(entry[1], now)
        due = time.monotonic() - _state["written"] >= app_settings.PORTAL_API_USAGE_FLUSH_SECONDS
        if not due:
            return
        batch = dict(_counts)
        _counts.clear()
        _state["written"] = time.monotonic()
    _write(batch)


def _write(batch: dict[tuple, list]) -> None:
    """One ``executemany`` per way of naming the app (pk or client id): one statement when
    every token is opaque or every token is a JWT."""
    connection = connections[router.db_for_write(ApiUsage)]
    ops = connection.ops
    for column in ("id", "client_id"):
        rows = [
            [
                ops.adapt_datefield_value(day),
                calls,
                ops.adapt_datetimefield_value(last_call),
                value,
                api_identifier,
            ]
            for (key_column, value, api_identifier, day), (calls, last_call) in batch.items()
            if key_column == column
        ]
        if not rows:
            continue
        try:
            with connection.cursor() as cursor:
                cursor.executemany(_sql(column), rows)
        except DatabaseError:
            logger.warning("Could not write API usage counts", exc_info=True)


def forget() -> None:
    """Drop the counts not written yet (tests start clean)."""
    with _lock:
        _counts.clear()
        _state["written"] = 0.0


def usage_by_api(*, application, days: int = 7) -> dict[int, dict]:
    """``{api_id: {"today": n, "recent": n, "last_call": datetime}}`` for ``application``:
    calls today, calls over the last ``days`` days (today included), the latest call ever."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
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
