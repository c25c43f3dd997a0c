"""Fixed-window counters for the rate limits, counted in one round trip per request.

A request reads some counters (peeks) and adds to others (increments); ``count`` does all of it
at once and returns every counter's value. Two stores, chosen by the cache the limits use
(``PORTAL_RATELIMIT_CACHE``):

* Redis: one Lua script (``INCR`` + ``EXPIREAT`` per increment, ``GET`` per peek), so one
  command and one round trip whatever the number of counters, atomic as every script is. A
  pipeline of the same commands cost the client twice the CPU: each command is packed, sent
  and parsed on its own.
* Anything else (the database cache): the ``RateCounter`` table, one ``INSERT ... ON CONFLICT
  DO UPDATE ... RETURNING`` for the increments and one ``SELECT`` for the peeks. The upsert is a
  single statement, so it is atomic across processes on SQLite and PostgreSQL alike; the
  database cache needed several statements per increment and lost concurrent ones.

Windows are fixed, as django-ratelimit's were: each key's windows are offset by a hash of the
key, so that counters do not all restart in the same second, and a window's end is what a
limited client is told to wait for (``Retry-After``).
"""

import functools
import hashlib
import logging
import math
import random
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from redis.exceptions import NoScriptError, RedisError

from oauth_portal.server import app_settings, cache_breaker, redis_cache
from oauth_portal.server.models import RateCounter

logger = logging.getLogger(__name__)

# A Redis key outlives its window by a few seconds, so that a host whose clock is slightly behind
# still finds (rather than recreates and immediately expires) the key of the window it is in.
REDIS_EXPIRY_MARGIN_SECONDS = 5

REDIS_WARNING_INTERVAL_SECONDS = 60

# KEYS: the counters to increment, then those to peek at. ARGV[1]: how many increments;
# ARGV[1 + i]: the epoch second increment i expires at. Returns every counter's value, in order.
COUNT_SCRIPT = """
local increments = tonumber(ARGV[1])
local counts = {}
for i = 1, increments do
  counts[i] = redis.call('INCR', KEYS[i])
  redis.call('EXPIREAT', KEYS[i], ARGV[i + 1])
end
for i = increments + 1, #KEYS do
  counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
end
return counts
"""
# Redis names a loaded script by its SHA-1 (EVALSHA).
COUNT_SCRIPT_SHA = hashlib.sha1(COUNT_SCRIPT.encode("utf-8"), usedforsecurity=False).hexdigest()

# How often a request also deletes the table's expired rows; see TableCounters.purge_expired.
PURGE_PROBABILITY = 1 / 1000


@dataclass(frozen=True)
class Window:
    """One counter in the window ``now`` falls in: ``name`` is stable, ``ends_at`` is epoch s."""

    name: str
    ends_at: int

    def seconds_left(self, now: float) -> int:
        return max(math.ceil(self.ends_at - now), 1)


def counter_window(group: str, value: str, period: int, now: float) -> Window:
    """The counter of ``value`` (an address, a client id) in ``group``, for this window.

    The value is hashed: client ids come from unauthenticated requests and may be anything, and
    a digest keeps every key short enough for the table's primary key.
    """
    name, offset = _counter_name(group, value, period)
    ends_at = (int(now - offset) // period + 1) * period + offset
    return Window(name=name, ends_at=ends_at)


@functools.lru_cache(maxsize=4096)
def _counter_name(group: str, value: str, period: int) -> tuple[str, int]:
    """A counter's name and its windows' offset: the same for every request of one client and
    address, and hashing them was a fortieth of an introspection."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    name = f"{group}:{period}:{digest}"
    return name, zlib.crc32(name.encode()) % period


class RedisCounters:
    """Counters in Redis, next to (not inside) Django's cache entries.

    Django's RedisCache pickles values but stores ints plainly; these keys are only ever
    ``INCR``-ed and read here, never written through the cache API, so they are plain integers.
    Keys carry the cache's KEY_PREFIX and version (``make_key``) and the window's end, so a new
    window is a new key: a lost expiry could leak a key, never freeze a counter.
    """

    def __init__(self, cache: RedisCache):
        self.cache = cache

    def count(self, increments: list[Window], peeks: list[Window]) -> dict[str, int]:
        client = self.cache._cache.get_client(write=True)
        windows = [*increments, *peeks]
        expiries = [window.ends_at + REDIS_EXPIRY_MARGIN_SECONDS for window in increments]
        keys = [self.redis_key(window) for window in windows]
        command = ("EVALSHA", COUNT_SCRIPT_SHA, len(keys), *keys, len(increments), *expiries)
        try:
            values = redis_cache.execute(client, *command)
        except NoScriptError:  # a Redis that has not seen the script yet (or was restarted)
            client.script_load(COUNT_SCRIPT)
            values = redis_cache.execute(client, *command)
        return {window.name: int(value) for window, value in zip(windows, values, strict=True)}

    def redis_key(self, window: Window) -> str:
        return self.cache.make_key(f"ratecount:{window.name}:{window.ends_at}")


class TableCounters:
    """Counters in the ``RateCounter`` table: at most two statements per call, both atomic.

    The SQL is raw because the ORM cannot say "upsert and return the new counts" in one
    statement. Only quoted identifiers from the model's ``_meta`` and placeholder lists are
    formatted into it; every value is a bound parameter (hence the ``noqa: S608``).
    """

    def __init__(self):
        self.connection = connections[router.db_for_write(RateCounter)]
        self.table = self.connection.ops.quote_name(RateCounter._meta.db_table)

    def count(self, increments: list[Window], peeks: list[Window], now: float) -> dict[str, int]:
        counts = self.current(peeks, now) if peeks else {}
        if increments:
            counts.update(self.increment(increments, now))
            if random.random() < PURGE_PROBABILITY:  # noqa: S311 - chance, not secrecy
                self.purge_expired(now)
        return counts

    def current(self, windows: list[Window], now: float) -> dict[str, int]:
        names = sorted({window.name for window in windows})
        placeholders = ", ".join(["%s"] * len(names))
        sql = (
            f"SELECT {self.column('key')}, {self.column('count')} FROM {self.table} "  # noqa: S608
            f"WHERE {self.column('key')} IN ({placeholders}) AND {self.column('expires')} > %s"
        )
        counts = dict.fromkeys(names, 0)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*names, self.timestamp(now)])
            counts.update(cursor.fetchall())
        return counts

    def increment(self, windows: list[Window], now: float) -> dict[str, int]:
        """Add one to each counter per time it is listed, restarting those whose window has
        ended, in one upsert.

        Rows are sent in key order, so that two requests sharing counters lock them in the same
        order and cannot deadlock (PostgreSQL); one row per key, as an upsert needs. Every SET
        expression reads the row as it was.
        """
        ends_at = {window.name: window.ends_at for window in windows}
        times = Counter(window.name for window in windows)
        names = sorted(ends_at)
        table, key = self.table, self.column("key")
        counted, expires = self.column("count"), self.column("expires")
        ended = f"{table}.{expires} <= %s"
        sql = (
            f"INSERT INTO {table} ({key}, {counted}, {expires}) "  # noqa: S608
            f"VALUES {', '.join(['(%s, %s, %s)'] * len(names))} "
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{counted} = CASE WHEN {ended} THEN excluded.{counted} "
            f"ELSE {table}.{counted} + excluded.{counted} END, "
            f"{expires} = CASE WHEN {ended} THEN excluded.{expires} ELSE {table}.{expires} END "
            f"RETURNING {key}, {counted}"
        )
        params = [
            value for name in names for value in (name, times[name], self.timestamp(ends_at[name]))
        ]
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*params, self.timestamp(now), self.timestamp(now)])
            return dict(cursor.fetchall())

    def purge_expired(self, now: float) -> None:
        """Delete rows whose window has ended.

        A row stays after its window so that the next request restarts it in place; without
        this, every address and client id ever seen would keep a row. Doing it on a small share
        of requests keeps the hot path at two statements, and the table small enough for this
        unindexed delete to stay cheap.
        """
        sql = f"DELETE FROM {self.table} WHERE {self.column('expires')} <= %s"  # noqa: S608
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [self.timestamp(now)])

    def column(self, field_name: str) -> str:
        return self.connection.ops.quote_name(RateCounter._meta.get_field(field_name).column)

    def timestamp(self, epoch_seconds: float):
        moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
        return self.connection.ops.adapt_datetimefield_value(moment)


def count(
    increments: list[Window], peeks: list[Window], *, now: float, cache=None
) -> dict[str, int]:
    """Add one to each of ``increments`` and read ``peeks``; every counter's value by name.

    ``cache`` is the cache the limits use (``PORTAL_RATELIMIT_CACHE``) unless given: Redis counts
    in Redis, anything else in the database.
    """
    if not increments and not peeks:
        return {}
    cache = cache if cache is not None else caches[rate_limit_cache_alias()]
    if _redis_answering(cache):
        try:
            return RedisCounters(cache).count(increments, peeks)
        except RedisError as exc:
            # Redis down or timing out: the limits still hold, counted in the database until
            # Redis answers again, and no request fails for it.
            cache_breaker.failed(cache)
            _warn_redis_unavailable(exc)
    return TableCounters().count(increments, peeks, now)


_redis_warned_at = {"at": 0.0}


def _warn_redis_unavailable(exc: Exception) -> None:
    """One warning a minute per process, not one per request."""
    if time.monotonic() - _redis_warned_at["at"] >= REDIS_WARNING_INTERVAL_SECONDS:
        _redis_warned_at["at"] = time.monotonic()
        logger.warning("Rate limits: Redis unavailable (%s); counting in the database", exc)


def _redis_answering(cache) -> bool:
    """A Redis cache, not being skipped after a failure (``cache_breaker``)."""
    return isinstance(cache, RedisCache) and not cache_breaker.skipping(cache)


def counted_in_redis() -> bool:
    """Whether the limits' counters are in Redis now."""
    return _redis_answering(caches[rate_limit_cache_alias()])


def publish(window: Window, value: int, *, only_if_missing: bool = False) -> None:
    """Set ``window``'s counter to ``value`` in Redis, where peeks read it (``client_memo``'s
    generation); nothing where the counters are in the database. Tried even while Redis is
    being skipped, as a change must reach the other processes; a failure is logged."""
    cache = caches[rate_limit_cache_alias()]
    if not isinstance(cache, RedisCache):
        return
    counters = RedisCounters(cache)
    try:
        client = cache._cache.get_client(write=True)
        client.set(counters.redis_key(window), value, nx=only_if_missing)
    except RedisError as exc:
        cache_breaker.failed(cache)
        logger.warning("Redis unavailable (%s): %s not published", exc, window.name)


def rate_limit_cache_alias() -> str:
    return app_settings.PORTAL_RATELIMIT_CACHE
