"""Bearer checks that cost almost nothing, and revocation that still takes effect at once.

Opaque tokens: the token is looked up by its SHA-256 checksum (the indexed column; the token
itself is never stored) in one query with its application and user, and the result is kept in
the token cache (``PORTAL_TOKEN_CACHE``, the shared Redis cache in production) for at most
``PORTAL_BEARER_CACHE_SECONDS`` and never past the token's expiry. The next request for the same
token, on any worker or host, then needs no database at all.

Revocation must still win on the very next request everywhere, so every deletion of an access
token row (revocation, refresh-token rotation, family revocation, consent withdrawal, suspension,
cascades) writes a *tombstone* over the token's cache entry through a ``post_delete`` signal: a
tombstone, not a delete, because a request that read the row just before the deletion committed
could otherwise put the live entry back. Entries are written with ``add`` (never over a
tombstone), and the tombstone is written again once the deleting transaction commits.

JWT access tokens (RFC 9068) are checked without the database: their ``jti`` is looked up in a
revocation list in the same shared cache, filled from the same signal (``apis.JwtAccessToken``
rows die with their access token) and kept until the token would have expired anyway.

Without Redis the cache is Django's database cache: a cache read is then a query like the token
lookup itself, so ``PORTAL_BEARER_CACHE_SECONDS`` defaults to 0 (off); the revocation list for
JWTs is kept either way.
"""

import hashlib
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

TOMBSTONE = "revoked"
TOMBSTONE_MARGIN_SECONDS = 5
# Only the user's id: a view that reads more (userinfo, a profile) loads it fresh, so a changed
# e-mail address is never served from the cache.
USER_FIELDS = ("id",)
APPLICATION_FIELDS = ("id", "client_id", "name", "status", "client_type", "user_id")
TOKEN_FIELDS = ("id", "token_checksum", "scope", "expires", "resource", "application_id", "user_id")
# The same fields, read in one query whether or not the cache is on: a view sees the same partial
# instances either way (other fields load on first use), and the secret columns never travel.
LOADED_FIELDS = (
    *(field.removesuffix("_id") for field in TOKEN_FIELDS),
    *(f"application__{field}" for field in APPLICATION_FIELDS),
    *(f"user__{field}" for field in USER_FIELDS),
)


def token_cache():
    return caches[settings.PORTAL_TOKEN_CACHE]


def token_checksum(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _entry_key(checksum: str) -> str:
    return f"bearer:{checksum}"


def _jti_key(jti: str) -> str:
    return f"revoked-jti:{jti}"


def access_token_for(token: str):
    """The stored access token ``token`` names (expired or not), or None; cached when enabled."""
    checksum = token_checksum(token)
    seconds = settings.PORTAL_BEARER_CACHE_SECONDS
    if seconds:
        cached = token_cache().get(_entry_key(checksum))
        if cached == TOMBSTONE:
            return None
        if cached is not None:
            return _rebuild(cached)
    access_token = (
        get_access_token_model()
        .objects.select_related("application", "user")
        .only(*LOADED_FIELDS)
        .filter(token_checksum=checksum)
        .first()
    )
    if access_token is not None and seconds:
        left = (access_token.expires - timezone.now()).total_seconds()
        if left >= 1:
            token_cache().add(
                _entry_key(checksum), _snapshot(access_token), min(seconds, int(left))
            )
    return access_token


def _values(instance, fields) -> dict:
    return {field: getattr(instance, field) for field in fields}


def _instance(model, values: dict):
    """``Model.from_db`` wants the values in the model's field order; the rest are deferred."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db("default", names, [values[name] for name in names])


def _snapshot(access_token) -> dict:
    """What a bearer check needs, and nothing secret (no password or client-secret hash)."""
    return {
        "token": _values(access_token, TOKEN_FIELDS),
        "application": _values(access_token.application, APPLICATION_FIELDS)
        if access_token.application_id
        else None,
        "user": _values(access_token.user, USER_FIELDS) if access_token.user_id else None,
    }


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
    """Tombstone a token's cache entry now and again at commit (see the module docstring)."""
    seconds = settings.PORTAL_BEARER_CACHE_SECONDS
    if not seconds or not checksum:
        return
    key, timeout = _entry_key(checksum), seconds + TOMBSTONE_MARGIN_SECONDS
    token_cache().set(key, TOMBSTONE, timeout)
    transaction.on_commit(lambda: token_cache().set(key, TOMBSTONE, timeout))


def jti_revoke(jti: str, expires: datetime) -> None:
    """Put a JWT's ``jti`` on the revocation list until the token would have expired."""
    left = int((expires - datetime.now(UTC)).total_seconds()) + TOMBSTONE_MARGIN_SECONDS
    if left > 0:
        token_cache().set(_jti_key(jti), True, left)


def jti_revoked(jti: str) -> bool:
    return bool(token_cache().get(_jti_key(jti)))


def _on_access_token_deleted(sender, instance, **kwargs) -> None:
    # An expired token cannot be in the cache (entries never outlive expiry): ``cleartokens``
    # deleting millions of them writes nothing.
    if instance.expires is None or instance.expires > timezone.now():
        forget_access_token(instance.token_checksum)


def _on_access_token_saved(sender, instance, created, **kwargs) -> None:
    """A changed row (scope, expiry) must be read again: drop its entry now and at commit."""
    if created or not settings.PORTAL_BEARER_CACHE_SECONDS:
        return
    key = _entry_key(instance.token_checksum)
    token_cache().delete(key)
    transaction.on_commit(lambda: token_cache().delete(key))


def _on_jwt_deleted(sender, instance, **kwargs) -> None:
    jti_revoke(instance.jti, instance.expires)


def connect() -> None:
    from apis.models import JwtAccessToken

    access_token_model = get_access_token_model()
    post_delete.connect(_on_access_token_deleted, sender=access_token_model, dispatch_uid="bearer")
    post_save.connect(_on_access_token_saved, sender=access_token_model, dispatch_uid="bearer")
    post_delete.connect(_on_jwt_deleted, sender=JwtAccessToken, dispatch_uid="bearer-jwt")
