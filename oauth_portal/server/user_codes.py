"""The codes of the device flow (RFC 8628), as people type them and as we store them.

Pure (no models, no settings): ``defaults.py`` names the generator in DOT's settings.

A user code is read off a TV and typed on a phone, so it is short and unambiguous: 8 letters
from 20 consonants (no vowels, so no words; no digits, so no 0/O or 1/I mix-ups), shown as
``XXXX-XXXX``. That is 20^8, about 2^34.6 codes; guessing is
bounded by the rate limits on the verification page and by the code's short life (RFC 8628 §5.1).
"""

import hashlib
import re
import secrets

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-_.]+")


def user_code_generate() -> str:
    """A fresh user code, formatted for people: ``WDJB-MJHT``."""
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return user_code_format(letters)


def user_code_format(letters: str) -> str:
    half = USER_CODE_LENGTH // 2
    return f"{letters[:half]}-{letters[half:]}"


def user_code_normalize(typed: str) -> str | None:
    """The stored form of what someone typed (any case, with or without the dash or spaces),
    or None when it cannot be a user code at all (so it is never looked up)."""
    letters = _SEPARATORS.sub("", typed or "").upper()
    if len(letters) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in letters):
        return None
    return user_code_format(letters)


def device_code_checksum(device_code: str) -> str:
    """What is stored of a device code: its SHA-256. The code is a bearer secret of 30
    random characters (oauthlib's ``generate_token``), so a plain hash is enough, as for
    access tokens; a database leak then gives no pollable code."""
    return hashlib.sha256(device_code.encode("utf-8")).hexdigest()
