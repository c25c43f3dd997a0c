"""Signing keys over time: the first key, rotation, the retired keys still published, and
re-encryption under a new encryption key. (``signing_keys`` reads and encrypts them.)"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from jwcrypto import jwk

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings
from oauth_portal.server.models import SigningKey
from oauth_portal.server.signing_keys import (
    generate_private_key_pem,
    private_key_encrypt,
    private_key_reencrypt,
)


def signing_key_ensure_current() -> SigningKey:
    """Return the current signing key, creating the first one if the table is empty.

    Two processes may race here on a fresh database; the partial unique constraint lets only
    one insert win, and the loser reads the winner's key.
    """
    key = SigningKey.objects.filter(is_current=True).first()
    if key is not None:
        return key
    pem = generate_private_key_pem()
    kid = jwk.JWK.from_pem(pem.encode("ascii")).thumbprint()
    try:
        with transaction.atomic():
            key = SigningKey.objects.create(
                kid=kid, private_key_encrypted=private_key_encrypt(pem), is_current=True
            )
    except IntegrityError:
        return SigningKey.objects.get(is_current=True)
    AuditEvent.objects.record(event=AuditEvent.Type.SIGNING_KEY_CREATED, kid=kid)
    return key


def signing_key_published_lifetime() -> timedelta:
    """How long a retired key must stay in the JWKS.

    The longest-lived token it can have signed, plus the time other processes may keep signing
    with it before they re-read the keys (``PORTAL_SIGNING_KEY_CACHE_SECONDS``).
    """
    from oauth2_provider.settings import oauth2_settings

    lifetime = max(
        oauth2_settings.ID_TOKEN_EXPIRE_SECONDS, oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    )
    return timedelta(seconds=lifetime + app_settings.PORTAL_SIGNING_KEY_CACHE_SECONDS)


def signing_key_next() -> SigningKey | None:
    """The key published ahead of its use (``signing_key_prepare_next``), if one waits."""
    return SigningKey.objects.filter(is_current=False, retired_at__isnull=True).first()


def signing_key_prepare_next(*, actor=None, request=None) -> SigningKey:
    """Publish the next signing key in the JWKS now; the next rotation makes it current.

    Relying parties that cache the JWKS (DOT answers ``max-age=3600``) then already know the
    key when the first token it signs reaches them. A key already waiting is returned as is.
    """
    from oauth_portal.server.signing_keys import forget_memoised_keys

    waiting = signing_key_next()
    if waiting is not None:
        return waiting
    pem = generate_private_key_pem()
    kid = jwk.JWK.from_pem(pem.encode("ascii")).thumbprint()
    key = SigningKey.objects.create(
        kid=kid, private_key_encrypted=private_key_encrypt(pem), is_current=False
    )
    AuditEvent.objects.record_admin_action(
        actor=actor, request=request, action="signing_key_prepared", kid=kid
    )
    forget_memoised_keys()
    transaction.on_commit(forget_memoised_keys)
    return key


def signing_key_rotate(*, actor=None, request=None) -> SigningKey:
    """Retire the current signing key and make the next one current; return it.

    The next key is the one published ahead (``signing_key_prepare_next``), else a new one.
    The retired key stays published until every token it signed has expired. Retiring comes
    before promoting, because at most one key may be current (``one_current_signing_key``).
    This process forgets its memoised keys now; others re-read within
    ``PORTAL_SIGNING_KEY_CACHE_SECONDS``.
    """
    from oauth_portal.server.signing_keys import forget_memoised_keys

    pem = generate_private_key_pem()
    kid = jwk.JWK.from_pem(pem.encode("ascii")).thumbprint()
    # Two rotations at once: the one that waited on the lock finds no current key left to
    # retire (READ COMMITTED re-checks the locked row) and its insert hits the constraint.
    # Trying again then retires the key the other rotation just made.
    for attempt in range(3):
        try:
            key = _signing_key_replace(pem=pem, kid=kid, actor=actor, request=request)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    # Now for this process, and again once an enclosing transaction commits (until then other
    # requests still read the old key and may memoise it).
    forget_memoised_keys()
    transaction.on_commit(forget_memoised_keys)
    return key


def _signing_key_replace(*, pem: str, kid: str, actor, request) -> SigningKey:
    now = timezone.now()
    with transaction.atomic():
        retired = SigningKey.objects.select_for_update().filter(is_current=True).first()
        if retired is not None:
            retired.is_current = False
            retired.retired_at = now
            retired.published_until = now + signing_key_published_lifetime()
            retired.save(update_fields=["is_current", "retired_at", "published_until"])
        waiting = (
            SigningKey.objects.select_for_update()
            .filter(is_current=False, retired_at__isnull=True)
            .first()
        )
        if waiting is not None:
            waiting.is_current = True
            waiting.save(update_fields=["is_current"])
            key = waiting
        else:
            key = SigningKey.objects.create(
                kid=kid, private_key_encrypted=private_key_encrypt(pem), is_current=True
            )
        AuditEvent.objects.record(
            event=AuditEvent.Type.SIGNING_KEY_ROTATED,
            request=request,
            actor=actor,
            kid=key.kid,
            retired_kid=retired.kid if retired else "",
            retired_published_until=retired.published_until.isoformat() if retired else "",
        )
    return key


@transaction.atomic
def signing_keys_reencrypt(*, actor=None) -> int:
    """Encrypt every stored signing key again under the first encryption key; return how many.

    The step that retires an encryption key: once it has run, no row needs the old key. All or
    nothing: a key no configured encryption key opens stops it before anything is written.
    """
    keys = list(SigningKey.objects.select_for_update().order_by("pk"))
    for key in keys:
        key.private_key_encrypted = private_key_reencrypt(key.private_key_encrypted, kid=key.kid)
    SigningKey.objects.bulk_update(keys, ["private_key_encrypted"])
    AuditEvent.objects.record_admin_action(
        actor=actor, action="signing_keys_reencrypted", keys=len(keys)
    )
    return len(keys)


def signing_key_revoke(*, kid: str, actor=None, request=None) -> SigningKey:
    """Take a leaked key out of the JWKS at once (rotation keeps it published for the
    lifetime of its tokens). If it is the current key, the next one becomes current first.

    Every token it signed stops verifying, here and at any resource server that re-reads the
    JWKS: ID tokens, and JWT access tokens (clients refresh, and get tokens the new key signs).
    """
    from oauth_portal.server.signing_keys import forget_memoised_keys

    with transaction.atomic():
        key = SigningKey.objects.select_for_update().get(kid=kid)
        if key.is_current:
            signing_key_rotate(actor=actor, request=request)
            key.refresh_from_db()
        now = timezone.now()
        key.retired_at = key.retired_at or now
        key.published_until = now
        key.save(update_fields=["retired_at", "published_until"])
        AuditEvent.objects.record_admin_action(
            actor=actor, request=request, action="signing_key_revoked", kid=kid
        )
    forget_memoised_keys()
    transaction.on_commit(forget_memoised_keys)
    return key


def signing_keys_retired_but_published() -> QuerySet[SigningKey]:
    """The keys the JWKS publishes beside the current one: retired keys whose tokens may still
    be alive, and the next key, published ahead of its use."""
    published = Q(published_until__gt=timezone.now()) | Q(retired_at__isnull=True)
    return SigningKey.objects.filter(published, is_current=False).order_by("-created")
