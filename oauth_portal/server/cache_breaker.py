"""A shared cache that stops answering is left alone for a few seconds, so that requests do not
each wait for its timeout.

A stopped Redis refuses at once, but a paused or cut-off one (a network partition, a primary
failing over, a host under swap) lets every call wait for the socket timeout (0.5 s in our
settings). Rate limits and bearer checks fall back to the database on each such failure, so no
request fails, but with several calls per request a worker served about two requests a second:
measured, a 3 s pause let 4 of some 150 requests through. After one failure a process now skips
the cache for ``SKIP_SECONDS`` (limits count and bearer checks read in the database, as they do
when Redis is down), then tries it again; recovery takes at most that long.

Counts made meanwhile go to the database table, apart from those already in Redis, so around
a failure a client may reach a limit in each store, as when Redis is down. Only reads and
counters are skipped: a revocation still tries to write its tombstone, since a
cache that failed here may answer other hosts, which must stop accepting the token.
"""

import time

from django.core.cache import BaseCache

SKIP_SECONDS = 5.0

_skip_until: dict[str, float] = {}


def _key(cache: BaseCache) -> str:
    """The servers the cache talks to: every thread's instance of one alias, and two aliases on
    the same Redis, share one state."""
    servers = getattr(cache, "_servers", None)
    return ",".join(servers) if servers else type(cache).__qualname__


def skipping(cache: BaseCache) -> bool:
    return time.monotonic() < _skip_until.get(_key(cache), 0.0)


def failed(cache: BaseCache) -> None:
    _skip_until[_key(cache)] = time.monotonic() + SKIP_SECONDS


def reset() -> None:
    """For tests: forget every failure."""
    _skip_until.clear()
