"""How client secrets are hashed and read from a token request.

Our secrets are long random strings (DOT generates 128 characters), so guessing one is
hopeless whatever the hash; a slow password hash (PBKDF2, ~0.5 s of CPU per check) protects
nothing more and costs a worker that half second on every token request. We store a keyed fast
hash instead: HMAC-SHA-256 under a server-side key (``PORTAL_CLIENT_SECRET_KEY``, by default
derived from ``DJANGO_SECRET_KEY``), compared in constant time. A stolen database alone then
does not even allow an offline check of a guessed secret. Secrets hashed earlier with a slow
hasher keep working and are re-hashed on their first successful use.
"""

import base64
import binascii
import hashlib
import hmac
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher
from django.utils.crypto import constant_time_compare

from oauth_portal.server import app_settings


class ClientSecretHMACHasher(BasePasswordHasher):
    """A Django password hasher for client secrets only (``CLIENT_SECRET_HASHER``)."""

    algorithm = "portal_hmac_sha256"

    def _key(self) -> bytes:
        configured = app_settings.PORTAL_CLIENT_SECRET_KEY or settings.SECRET_KEY
        return hashlib.sha256(b"portal.client-secret:" + configured.encode()).digest()

    def salt(self) -> str:
        return ""  # the key is the secret ingredient; secrets are random, so no salt is needed

    def encode(self, password: str, salt: str = "") -> str:
        digest = hmac.new(self._key(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}$${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        return constant_time_compare(self.encode(password), encoded)

    def safe_summary(self, encoded: str) -> dict:
        return {"algorithm": self.algorithm, "hash": self.decode(encoded)["hash"][:6] + "…"}

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password, encoded):
        pass


def credentials_from_request(request) -> tuple[str | None, str | None]:
    """The client id and secret an oauthlib token request presents (RFC 6749 §2.3.1)."""
    return parse_client_credentials(
        authorization=request.headers.get("HTTP_AUTHORIZATION") or "",
        body_client_id=getattr(request, "client_id", None),
        body_client_secret=getattr(request, "client_secret", None),
    )


def parse_client_credentials(
    *, authorization: str, body_client_id: str | None, body_client_secret: str | None
) -> tuple[str | None, str | None]:
    """HTTP Basic first (its parts are form-urlencoded before base64, RFC 6749 §2.3.1), else
    ``client_id`` and ``client_secret`` from the body. Naming two different clients, or a
    malformed header, gets nothing."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return body_client_id, body_client_secret
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, None
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        return None, None
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if body_client_id and body_client_id != client_id:
        return None, None
    return client_id, secret
