"""Signing keys over time: the first key, rotation, the retired keys still published, and
re-encryption under a new encryption key. (``signing_keys`` reads and encrypts them.)"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
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


def signing_key_rotate(*, actor=None, request=None) -> SigningKey:
    """Retire the current signing key and make a new one current; return the new key.

    The retired key stays published until every token it signed has expired. Retiring comes
    before creating, because at most one key may be current (``one_current_signing_key``).
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
        key = SigningKey.objects.create(
            kid=kid, private_key_encrypted=private_key_encrypt(pem), is_current=True
        )
        AuditEvent.objects.record(
            event=AuditEvent.Type.SIGNING_KEY_ROTATED,
            request=request,
            actor=actor,
            kid=kid,
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


def signing_keys_retired_but_published() -> QuerySet[SigningKey]:
    """Retired keys whose tokens may still be alive, so the JWKS must keep publishing them."""
    return SigningKey.objects.filter(is_current=False, published_until__gt=timezone.now()).order_by(
        "-created"
    )
