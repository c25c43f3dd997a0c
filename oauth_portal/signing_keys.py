"""RSA keys that sign ID tokens, kept in the database.

DOT reads the signing key from ``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]`` (signing, the JWKS
view, discovery, ``Application.clean()``). Our settings put lazy strings there that read the
``SigningKey`` table, so every worker on every host signs with, and publishes, the same keys, and
no key is ever in the repository or generated per process. The first read on an empty table
creates the key; a unique constraint makes concurrent first reads agree on one key.

Reads are memoised per process for ``PORTAL_SIGNING_KEY_CACHE_SECONDS`` so a busy token endpoint
does not query the table on every request.
"""

import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils.functional import lazy

_memo_lock = threading.Lock()
_memo: dict = {"expires": 0.0, "current": "", "retired": []}


def generate_private_key_pem() -> str:
    """A new 2048-bit RSA private key in PEM (PKCS#8), as DOT expects it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def _read_keys() -> tuple[str, list[str]]:
    from oauth_portal.selectors import signing_keys_retired_but_published
    from oauth_portal.services import signing_key_ensure_current

    current = signing_key_ensure_current()
    retired = [key.private_key_pem for key in signing_keys_retired_but_published()]
    return current.private_key_pem, retired


def _memoised_keys() -> tuple[str, list[str]]:
    from django.conf import settings

    with _memo_lock:
        if time.monotonic() < _memo["expires"]:
            return _memo["current"], _memo["retired"]
    current, retired = _read_keys()
    with _memo_lock:
        _memo.update(
            current=current,
            retired=retired,
            expires=time.monotonic() + settings.PORTAL_SIGNING_KEY_CACHE_SECONDS,
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


LAZY_CURRENT_PRIVATE_KEY = lazy(current_private_key_pem, str)()
LAZY_RETIRED_PRIVATE_KEYS = lazy(retired_private_key_pems, list)()
