"""What a client-endpoint request reads about its client, kept per process and trusted only
while every process agrees nothing has changed.

Every token, introspection and revocation request reads its client's row; a client-credentials
request also the scopes the client may be given, an introspection the APIs the client serves
and the roles of the token's user.
These rows change a few times a year and are read thousands of times a second: measured
in-process, the two reads were a seventh of a client-credentials request's CPU and a third of
its database time. They decide who may have a token, so they may not be stale for even one
request, across every worker and host.

So they are kept per process (``recall``, ``keep``) under a *generation*: one shared value, in
the rate limits' Redis, which every write to clients, scopes, APIs, subscriptions, roles, role
assignments, allow-lists and resource servers replaces with a new random one once its
transaction commits (Django's signals, ``connect``). Each rate-limited request reads the
generation in the same Redis round trip as its counters (``ratelimits``) and uses what is kept
only when it was kept under that very value, so a change made anywhere is seen by the next
request everywhere, as with a fresh read. A kept answer is also dropped after
``KEPT_SECONDS`` whatever the generation says, so a write that bypasses Django's signals (raw
SQL, ``QuerySet.update``) is seen within that.

Nothing is kept where there is no generation: rate limits off, the limits counted in the
database (no Redis), Redis failing, or a request that is not rate limited. Those read the
database every time, as before. A generation lost from Redis (a restart, a flush, an eviction)
is set afresh to a new random value, so nothing kept before can match it.
"""

import secrets
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from oauth_portal.server import ratecounters

# Read along with the rate limits' counters: a Redis key that no window ever ends.
GENERATION = ratecounters.Window(name="client-registry-generation", ends_at=0)
KEPT_SECONDS = 30.0
MOST_KEPT = 4_096
MISSING = object()

_seen: ContextVar[int] = ContextVar("client_registry_generation", default=0)
# kind -> key -> (generation, when kept, value); each kind bounded on its own, so that many
# tokens' roles never push the clients out.
_kept: dict[str, dict[object, tuple[int, float, object]]] = {}


@contextmanager
def generation_seen(value: int | None):
    """Within the block, this request trusts what was kept under generation ``value``. 0 (none
    in Redis) and None (none read) trust nothing; a generation missing from Redis is set
    afresh for the next request."""
    if value == 0 and ratecounters.counted_in_redis():
        _publish_generation(only_if_missing=True)
    reset = _seen.set(value or 0)
    try:
        yield
    finally:
        _seen.reset(reset)


def recall(kind: str, key):
    """What was kept as ``kind`` for ``key`` under this request's generation, or ``MISSING``."""
    generation = _seen.get()
    if not generation:
        return MISSING
    found = _kept.get(kind, {}).get(key)
    if found is None or found[0] != generation or time.monotonic() - found[1] > KEPT_SECONDS:
        return MISSING
    return found[2]


def keeping() -> bool:
    """Whether this request keeps what it reads (a generation was read), for a caller whose
    value costs something to make."""
    return bool(_seen.get())


def keep(kind: str, key, value) -> None:
    """Keep ``value`` (never changed in place by its readers) under this request's generation."""
    generation = _seen.get()
    if not generation:
        return
    kept = _kept.setdefault(kind, {})
    if len(kept) >= MOST_KEPT:
        kept.clear()
    kept[key] = (generation, time.monotonic(), value)


def drop(kind: str, key) -> None:
    """Drop what this process kept as ``kind`` for ``key`` (a field it holds was just updated
    without a signal, as a secret's last use is)."""
    _kept.get(kind, {}).pop(key, None)


def forget(**_kwargs) -> None:
    """Drop everything this process kept."""
    _kept.clear()


def changed(*, action: str = "post_save", **_kwargs) -> None:
    """A client, scope, API, subscription or role changed: once that is committed, no process may
    trust what it kept (until then, what it kept is still what the database holds). A list's
    change signals before and after it: the one after is enough."""
    if action.startswith("pre_"):
        return
    forget()
    transaction.on_commit(_changed_committed)


def _changed_committed() -> None:
    forget()
    _publish_generation()


def _publish_generation(*, only_if_missing: bool = False) -> None:
    ratecounters.publish(GENERATION, secrets.randbelow(2**52) + 1, only_if_missing=only_if_missing)


def connect() -> None:
    from oauth_portal.server.models import (
        ApiResource,
        Application,
        Role,
        RoleAssignment,
        Scope,
        Subscription,
    )

    for model in (Application, Scope, ApiResource, Subscription, Role, RoleAssignment):
        for signal in (post_save, post_delete):
            signal.connect(changed, sender=model, dispatch_uid=f"client-memo-{model.__name__}")
    for through in (
        Application.allowed_scopes.through,
        Application.required_scopes.through,
        ApiResource.resource_servers.through,
        Role.scopes.through,
    ):
        m2m_changed.connect(changed, sender=through, dispatch_uid=f"client-memo-{through.__name__}")
