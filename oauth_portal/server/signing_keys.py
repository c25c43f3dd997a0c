"""RSA keys that sign ID tokens, kept in the database.

The settings give DOT no key (``OIDC_RSA_PRIVATE_KEY`` stays unset); DOT's hooks read them from
here instead: ``Application.jwk_key`` signs ID tokens with the current key, our JWKS view
publishes it and the retired keys still published, and JWT access tokens use them too. So every
worker on every host signs with, and publishes, the same keys, and no key is ever in the
repository or generated per process. The first read on an empty table
creates the key; a unique constraint makes concurrent first reads agree on one key.

Reads are memoised per process for ``PORTAL_SIGNING_KEY_CACHE_SECONDS`` so a busy token endpoint
does not query the table on every request.

The private keys are encrypted at rest (Fernet: AES-128-CBC with an HMAC) under keys held
outside the database, as client secrets are HMAC'd: a copy of the database alone cannot sign
tokens. ``PORTAL_SIGNING_KEY_ENCRYPTION_KEYS`` lists Fernet keys; the first encrypts, all
decrypt. A key derived from ``SECRET_KEY`` (and from each of ``SECRET_KEY_FALLBACKS``) always
decrypts too, after the configured ones and never to encrypt while keys are configured, so
moving from the default to configured keys is one ``reencrypt_signing_keys`` away.
"""

import base64
import logging
import threading
import time

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from oauth_portal.server import app_settings

logger = logging.getLogger(__name__)

ENCRYPTION_KEYS_SETTING = "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS"
# HKDF labels: a key derived from SECRET_KEY for this purpose and no other.
_DERIVATION_SALT = b"oauth_portal.server.signing_keys"
_DERIVATION_INFO = b"signing key encryption v1"

_memo_lock = threading.Lock()
_memo: dict = {"expires": 0.0, "current": "", "retired": []}


class SigningKeyDecryptionError(ImproperlyConfigured):
    """A stored signing key that no configured encryption key opens: a deployment mistake."""


def fernet_keys_parse(raw_keys: list[str]) -> list[str]:
    """The configured keys, each checked to be a Fernet key (32 url-safe base64 bytes).

    Called by the settings at start-up; the message names the variable, never the value.
    """
    keys = [key.strip() for key in raw_keys if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"{ENCRYPTION_KEYS_SETTING}: key {position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes). Generate one with: python -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from exc
    return keys


def _derived_key(secret_key: str) -> bytes:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_DERIVATION_SALT, info=_DERIVATION_INFO
    ).derive(secret_key.encode("utf-8"))
    return base64.urlsafe_b64encode(derived)


def _fernet() -> MultiFernet:
    """Configured keys first (the first one encrypts), then those derived from the secret keys."""
    from django.conf import settings

    configured = [key.encode("ascii") for key in app_settings.PORTAL_SIGNING_KEY_ENCRYPTION_KEYS]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    derived = [_derived_key(secret) for secret in secrets if secret]
    return MultiFernet([Fernet(key) for key in [*configured, *derived]])


def private_key_encrypt(pem: str) -> str:
    """``pem`` encrypted under the first encryption key, as stored in the database."""
    return _fernet().encrypt(pem.encode("ascii")).decode("ascii")


def private_key_decrypt(token: str, *, kid: str) -> str:
    """The PEM of a stored key; ``SigningKeyDecryptionError`` when no key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        message = (
            f"Signing key {kid} cannot be decrypted with any key in {ENCRYPTION_KEYS_SETTING} "
            "(nor one derived from DJANGO_SECRET_KEY). Configure the key it was encrypted "
            "under, after the current one, and run manage.py reencrypt_signing_keys."
        )
        logger.error(message)
        raise SigningKeyDecryptionError(message) from exc


def private_key_reencrypt(token: str, *, kid: str) -> str:
    """``token`` encrypted again under the first key (the rotation step)."""
    private_key_decrypt(token, kid=kid)  # the clear error when no key opens it
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def generate_private_key_pem() -> str:
    """A new 2048-bit RSA private key in PEM (PKCS#8), as DOT expects it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def _read_keys() -> tuple[str, list[str]]:
    from oauth_portal.server.key_rotation import (
        signing_key_ensure_current,
        signing_keys_retired_but_published,
    )

    current = signing_key_ensure_current()
    retired = [key.private_key_pem() for key in signing_keys_retired_but_published()]
    return current.private_key_pem(), retired


def _memoised_keys() -> tuple[str, list[str]]:

    with _memo_lock:
        if time.monotonic() < _memo["expires"]:
            return _memo["current"], _memo["retired"]
    current, retired = _read_keys()
    with _memo_lock:
        _memo.update(
            current=current,
            retired=retired,
            expires=time.monotonic() + app_settings.PORTAL_SIGNING_KEY_CACHE_SECONDS,
        )
    return current, retired


def forget_memoised_keys() -> None:
    """Make the next read go to the database (after a rotation, and between tests)."""
    with _memo_lock:
        _memo["expires"] = 0.0


def current_private_key_pem() -> str:
    return _memoised_keys()[0]


def retired_private_key_pems() -> list[str]:
    return _memoised_keys()[1]
