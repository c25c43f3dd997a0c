"""Bearer checks that cost almost nothing, and revocation that still takes effect at once.

Opaque tokens: the token is looked up by its SHA-256 checksum (the indexed column; the token
itself is never stored) in one query with its application and user, and the result is kept in
the token cache (``PORTAL_TOKEN_CACHE``, the shared Redis cache in production) for at most
``PORTAL_BEARER_CACHE_SECONDS`` and never past the token's expiry. The next request for the same
token, on any worker or host, then needs no database at all.

Revocation must still win on the very next request everywhere, so every deletion of an access
token row (revocation, refresh-token rotation, family revocation, consent withdrawal, suspension,
a user deactivated or their password reset, cascades) writes a *tombstone* over the token's cache
entry through a ``post_delete`` signal: a tombstone, not a delete, because a request that read
the row just before the deletion committed could otherwise put the live entry back. Entries are
written with ``add`` (never over a tombstone), and the tombstone is written again once the
deleting transaction commits.

JWT access tokens (RFC 9068) are checked the same way, by their ``jti``: a JWT is live while its
``apis.JwtAccessToken`` row exists (every way an access token dies deletes that row with it). The
database is the truth; the cache holds only a short-lived "live" mark in front of it, and a
tombstone when the row goes. So the cache only ever saves a query: a flush, an eviction or an
attacker filling the cache with revocations of their own tokens makes the next check ask the
database again, and a revoked token never comes back.

The cache is a convenience, never a dependency: when it fails (Redis down, a timeout), every
check reads the database instead and one warning a minute per process says so. A tombstone that
could not be written leaves a stale "live" entry for at most ``PORTAL_BEARER_CACHE_SECONDS``.

Without Redis the cache is Django's database cache: a cache read is then a query like the token
lookup itself, so ``PORTAL_BEARER_CACHE_SECONDS`` defaults to 0 and every check, opaque or JWT,
is one indexed query.
"""

import functools
import hashlib
import logging
import threading
import time

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from oauth_portal.db import compiled_queries, model_instances
from oauth_portal.observability import metrics
from oauth_portal.server import app_settings, cache_breaker

logger = logging.getLogger(__name__)

TOMBSTONE = "revoked"
LIVE = "live"
TOMBSTONE_MARGIN_SECONDS = 5
OUTAGE_WARNING_INTERVAL_SECONDS = 60.0
APPLICATION_FIELDS = ("id", "client_id", "name", "status", "client_type", "user_id")
TOKEN_FIELDS = ("id", "token_checksum", "scope", "expires", "resource", "application_id", "user_id")


@functools.cache
def user_fields() -> tuple[str, ...]:
    """The user's id and whether the account is active (an inactive user's token is refused).

    Nothing else: a view that reads more (userinfo, a profile) loads it fresh, so a changed
    e-mail address is never served from the cache. A host user model without an ``is_active``
    field counts as active, as Django's ``AbstractBaseUser`` does.
    """
    from django.contrib.auth import get_user_model

    names = {field.attname for field in get_user_model()._meta.concrete_fields}
    return ("id", "is_active") if "is_active" in names else ("id",)


def token_cache():
    return caches[app_settings.PORTAL_TOKEN_CACHE]


class _OutageWarning:
    """At most one warning per interval per process, however many checks find the cache down."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last: float | None = None

    def emit(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last < OUTAGE_WARNING_INTERVAL_SECONDS:
                return
            self._last = now
        logger.warning(
            "The token cache (%s) failed with %s; bearer checks read the database meanwhile.",
            app_settings.PORTAL_TOKEN_CACHE,
            type(error).__name__,
        )


outage_warning = _OutageWarning()


def _cached(method: str, *args):
    """``token_cache().<method>(*args)``, or None when the cache fails: the caller then asks
    the database, which holds the truth anyway. Reads and additions skip a cache that just
    failed (``cache_breaker``); tombstones and deletions are always tried."""
    cache = token_cache()
    if method in ("get", "add") and cache_breaker.skipping(cache):
        return None
    try:
        return getattr(cache, method)(*args)
    except Exception as error:  # any backend's failure: redis.ConnectionError, a timeout...
        cache_breaker.failed(cache)
        outage_warning.emit(error)
        return None


def token_checksum(token: str) -> str:
    """The SHA-256 that DOT stores in place of a token (and we in place of a code)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _entry_key(checksum: str) -> str:
    return f"bearer:{checksum}"


def _jwt_key(jti: str) -> str:
    return f"bearer-jwt:{jti}"


def _remember(key: str, value, *, expires_at: float, seconds: int) -> None:
    """Cache ``value`` for at most ``seconds``, never past the token's expiry, never over a
    tombstone (``add``)."""
    left = expires_at - time.time()
    if left >= 1:
        _cached("add", key, value, min(seconds, int(left)))


def _tombstone(key: str) -> None:
    """Tombstone a cache entry now and again at commit (see the module docstring)."""
    timeout = app_settings.PORTAL_BEARER_CACHE_SECONDS + TOMBSTONE_MARGIN_SECONDS
    _cached("set", key, TOMBSTONE, timeout)
    transaction.on_commit(lambda: _cached("set", key, TOMBSTONE, timeout))


def access_token_for(token: str):
    """The stored access token ``token`` names (expired or not), or None; cached when enabled."""
    checksum = token_checksum(token)
    seconds = app_settings.PORTAL_BEARER_CACHE_SECONDS
    if seconds:
        cached = _cached("get", _entry_key(checksum))
        metrics.bearer_cache_count(hit=cached is not None)
        if cached == TOMBSTONE:
            return None
        if cached is not None:
            return _rebuild(cached)
    found = compiled_queries.values("bearer-token", _token_rows, checksum=checksum)
    if not found:
        return None
    entry = _entry_from_row(found[0])
    if seconds:
        expires_at = entry["token"]["expires"].timestamp()
        _remember(_entry_key(checksum), entry, expires_at=expires_at, seconds=seconds)
    return _rebuild(entry)


def _token_rows(*, checksum: str):
    """The token with its application and user: the same columns whether or not the cache is
    on, so a view sees the same partial instances either way (other fields load on first use),
    and nothing secret (no password or client-secret hash) is read or cached. Compiled once per
    process (``compiled_queries``): with the cache off (the database cache) every check runs
    it, and compiling it cost more than running it."""
    return (
        get_access_token_model()
        .objects.filter(token_checksum=checksum)
        .values_list(
            *(_field_name(get_access_token_model(), name) for name in TOKEN_FIELDS),
            *(
                f"application__{_field_name(get_application_model(), name)}"
                for name in APPLICATION_FIELDS
            ),
            *(f"user__{name}" for name in user_fields()),
        )
    )


def _field_name(model, attname: str) -> str:
    """``user`` for ``user_id``: the name a lookup follows; other fields' names are their own."""
    return next(field.name for field in model._meta.concrete_fields if field.attname == attname)


def _entry_from_row(row) -> dict:
    """A cache entry (what ``_rebuild`` takes) from one of ``_token_rows``."""
    token_end, application_end = len(TOKEN_FIELDS), len(TOKEN_FIELDS) + len(APPLICATION_FIELDS)
    token = dict(zip(TOKEN_FIELDS, row[:token_end], strict=True))
    application = dict(zip(APPLICATION_FIELDS, row[token_end:application_end], strict=True))
    user = dict(zip(user_fields(), row[application_end:], strict=True))
    return {
        "token": token,
        "application": application if token["application_id"] is not None else None,
        "user": user if token["user_id"] is not None else None,
    }


def jwt_access_token_live(*, jti: str, expires_at: float) -> bool:
    """Whether the JWT access token ``jti`` names is still issued: its row exists.

    A cached "live" mark answers without a query for at most ``PORTAL_BEARER_CACHE_SECONDS``;
    a tombstone answers no; anything else (a miss, a flush, an eviction, a failing cache) asks
    the database.
    """

    seconds = app_settings.PORTAL_BEARER_CACHE_SECONDS
    key = _jwt_key(jti)
    if seconds:
        cached = _cached("get", key)
        metrics.bearer_cache_count(hit=cached is not None)
        if cached is not None:
            return cached == LIVE
    live = bool(compiled_queries.rows("jwt-live", _jwt_rows, jti=jti))
    if live and seconds:
        _remember(key, LIVE, expires_at=expires_at, seconds=seconds)
    return live


def _jwt_rows(*, jti: str):
    from oauth_portal.server.models import JwtAccessToken

    return JwtAccessToken.objects.filter(jti=jti).values_list("pk")[:1]


def _instance(model, values: dict):
    """The model's instance, as ``Model.from_db`` would make it: the fields not kept deferred."""
    names = _in_field_order(model, tuple(values))
    return model_instances.loaded(model, "default", names, [values[name] for name in names])


@functools.lru_cache(maxsize=64)
def _in_field_order(model, names: tuple[str, ...]) -> tuple[str, ...]:
    """Per process: every check rebuilds the same three models from the same fields."""
    return tuple(field.attname for field in model._meta.concrete_fields if field.attname in names)


def _rebuild(entry: dict):
    """Model instances from a cache entry; fields left out load lazily if something reads them."""
    from django.contrib.auth import get_user_model

    access_token = _instance(get_access_token_model(), entry["token"])
    if entry["application"] is not None:
        access_token.application = _instance(get_application_model(), entry["application"])
    if entry["user"] is not None:
        access_token.user = _instance(get_user_model(), entry["user"])
    return access_token


def forget_access_token(checksum: str) -> None:
    """Tombstone an opaque token's cache entry now and again at commit."""
    if app_settings.PORTAL_BEARER_CACHE_SECONDS and checksum:
        _tombstone(_entry_key(checksum))


def _on_access_token_deleted(sender, instance, **kwargs) -> None:
    # An expired token cannot be in the cache (entries never outlive expiry): ``cleartokens``
    # deleting millions of them writes nothing.
    if instance.expires is None or instance.expires > timezone.now():
        forget_access_token(instance.token_checksum)


def _on_access_token_saved(sender, instance, created, **kwargs) -> None:
    """A changed row (scope, expiry) must be read again: drop its entry now and at commit."""
    if created or not app_settings.PORTAL_BEARER_CACHE_SECONDS:
        return
    key = _entry_key(instance.token_checksum)
    _cached("delete", key)
    transaction.on_commit(lambda: _cached("delete", key))


def _on_jwt_deleted(sender, instance, **kwargs) -> None:
    if app_settings.PORTAL_BEARER_CACHE_SECONDS and instance.expires > timezone.now():
        _tombstone(_jwt_key(instance.jti))


def connect() -> None:
    from oauth_portal.server.models import JwtAccessToken

    access_token_model = get_access_token_model()
    post_delete.connect(_on_access_token_deleted, sender=access_token_model, dispatch_uid="bearer")
    post_save.connect(_on_access_token_saved, sender=access_token_model, dispatch_uid="bearer")
    post_delete.connect(_on_jwt_deleted, sender=JwtAccessToken, dispatch_uid="bearer-jwt")
