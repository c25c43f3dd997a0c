"""RFC 9068 JWT access tokens, for the APIs that choose them (``ApiResource.access_token_format``).

Opaque tokens stay the default. A token is minted as a JWT when every API it is for uses the JWT
format; the APIs it is for are the ``resource`` values asked for (RFC 8707), those of the code or
refresh token it comes from, or, when none were named, the APIs owning its scopes (its audience
is then recorded on the token as if they had been named). A token for no API (``openid
profile``) or for APIs of mixed formats is opaque.

The JWT is signed with the server's current signing key (the one published in the JWKS, ``kid``
included), typed ``at+jwt`` so an ID token can never pass for one, and carries ``iss``, ``sub``
(the user's id, or the client id for client credentials), ``aud``, ``client_id``, ``scope``,
``jti``, ``iat`` and ``exp``. It is also stored like any token (as a checksum), so introspection,
revocation, refresh and the admin treat both formats alike; its ``jti`` is kept in
``apis.JwtAccessToken``, whose row dies with the token on every revocation path.

This module is DOT's ``ACCESS_TOKEN_GENERATOR`` and ``REFRESH_TOKEN_GENERATOR`` (``random_token``
for opaque tokens and every refresh token) and the verifier the APIs use: signature, type,
issuer, audience, expiry, and whether the ``jti``'s row still exists (``oauth_portal.bearer``:
no query while the token cache holds its "live" mark, one indexed query otherwise). A token
deactivated with its user is refused the same way: deactivation deletes the row.
"""

import base64
import binascii
import functools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from oauth_portal.server import bearer, registry, signing_keys, token_claims

JWT_TYPES = {"at+jwt", "application/at+jwt"}
UNKNOWN_KID_RELOAD_SECONDS = 5.0


# --- Issuing ------------------------------------------------------------------------------------


def random_token(request, refresh_token: bool = False) -> str:
    """An opaque token: 256 random bits, URL-safe base64 (43 characters).

    oauthlib's generator draws 30 characters one by one from the system's random source: 30
    ``getrandbits`` calls, each reading the kernel's pool, for 178 bits. This reads once, for
    more bits, from the same source (``secrets``).
    """
    return secrets.token_urlsafe(32)


def generate_access_token(request, refresh_token: bool = False) -> str:
    """DOT's ACCESS_TOKEN_GENERATOR: a JWT for JWT-format APIs, a random string otherwise."""
    audiences = token_audiences(request)
    apis = registry.apis_named(audiences)
    if not apis or len(apis) != len(audiences) or not all(api.uses_jwt for api in apis):
        return random_token(request)
    request.resource = audiences  # DOT records it on the token: introspection shows ``aud``
    claims = access_token_claims(request, audiences)
    request.jwt_access_token_claims = claims
    return sign(claims)


def token_audiences(request) -> list[str]:
    named = [value for key, value in (request.decoded_body or []) if key == "resource"]
    if named:
        return named
    # The code's or refresh token's audience, narrowed to the client's allow-list by the
    # validator (validate_code, validate_refresh_token).
    inherited = getattr(request, "grant_resource", None) or []
    return list(inherited) or registry.api_identifiers_owning(request.scopes or [])


def access_token_claims(request, audiences: list[str]) -> dict:
    user = None if request.grant_type == "client_credentials" else request.user
    claims = jwt_claims(
        issuer=oauth2_settings.oidc_issuer(request),
        user_id=user.pk if user is not None else None,
        client_id=request.client.client_id,
        audiences=audiences,
        scope=" ".join(request.scopes or []),
        lifetime_seconds=int(request.expires_in),
    )
    # permissions, roles and custom claims (token_claims.py); never over a registered claim.
    extra = token_claims.access_token_user_claims(
        user_id=user.pk if user is not None else None,
        audiences=audiences,
        scopes=request.scopes or [],
        user=user,
    )
    return {**extra, **claims}


def jwt_claims(*, issuer, user_id, client_id, audiences, scope, lifetime_seconds, now=None) -> dict:
    """RFC 9068 §2.2 claims; ``sub`` is the client itself when no user is involved."""
    now = int(time.time()) if now is None else now
    return {
        "iss": issuer,
        "sub": str(user_id) if user_id is not None else client_id,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "client_id": client_id,
        "scope": scope,
        "jti": secrets.token_urlsafe(24),
        "iat": now,
        "exp": now + lifetime_seconds,
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(value) -> bytes:
    # default=str, as DOT encodes ID token claims: a custom claim may be a date or a UUID.
    return json.dumps(value, separators=(",", ":"), default=str).encode("utf-8")


@functools.lru_cache(maxsize=8)
def _private_key(pem: str) -> tuple[str, rsa.RSAPrivateKey]:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    return jwk_from_pem(pem).thumbprint(), key


def sign(claims: dict, *, typ: str = "at+jwt") -> str:
    """A compact RS256 JWS with the server's current key (also what ID tokens are signed with)."""
    kid, key = _private_key(signing_keys.current_private_key_pem())
    signing_input = (
        _b64(_json({"alg": "RS256", "typ": typ, "kid": kid})) + "." + _b64(_json(claims))
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64(signature)


# --- Verifying ----------------------------------------------------------------------------------


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


@dataclass
class JwtAccessToken:
    """``request.auth`` for a verified JWT: what the API's permissions read from a token."""

    claims: dict
    scope: str = field(init=False)
    user_id: int | None = field(init=False)
    client_id: str = field(init=False)

    def __post_init__(self):
        self.scope = self.claims["scope"]
        self.client_id = self.claims["client_id"]
        sub = self.claims["sub"]
        self.user_id = None if sub == self.client_id else int(sub)

    def allow_scopes(self, scopes) -> bool:
        return set(scopes).issubset(self.scope.split())


class Invalid(Exception):
    """Why a JWT access token was refused; the message is the RFC 6750 error_description."""


_kid_reload = {"at": 0.0}
_kid_reload_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _public_keys(pems: tuple[str, ...]) -> dict:
    return {kid: key.public_key() for kid, key in map(_private_key, pems)}


def _published_public_keys() -> dict:
    return _public_keys(
        (signing_keys.current_private_key_pem(), *signing_keys.retired_private_key_pems())
    )


def _verification_key(kid):
    """The published key ``kid`` names; an unknown kid re-reads the keys (a rotation made by
    another process), at most every few seconds so unknown kids cannot flood the database."""
    keys = _published_public_keys()
    if kid in keys:
        return keys[kid]
    with _kid_reload_lock:
        if time.monotonic() - _kid_reload["at"] < UNKNOWN_KID_RELOAD_SECONDS:
            return None
        _kid_reload["at"] = time.monotonic()
    signing_keys.forget_memoised_keys()
    return _published_public_keys().get(kid)


def verify(token: str, *, issuer: str, audience: str | None) -> JwtAccessToken:
    """The verified token, or ``Invalid``; ``audience`` is the identifier of the API asked."""
    try:
        claims = _signed_claims(token)
        _check_claims(claims, issuer=issuer, audience=audience)
        return JwtAccessToken(claims)
    # RecursionError: a header of nested arrays ("[[[[..."), which json.loads cannot parse.
    except (
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        RecursionError,
        binascii.Error,
        InvalidSignature,
    ):
        raise Invalid("The access token is invalid.") from None


# A client sends the same access token with every call until it expires. Checking its RSA
# signature again was a third of what a JWT bearer check cost the worker, so each process
# remembers the tokens whose signature it has checked: the token's exact text and the key that
# verified it. Only a token that passed is kept, and only while that very key is still published
# (a rotation that publishes a new set, or a revoked key, makes it a stranger again). The claims
# are decoded afresh every time (a view may change what it is handed), and everything else
# (expiry, issuer, audience, whether the token's row still exists) is checked on every request.
_signature_checked: dict[str, tuple[object, object]] = {}
SIGNATURES_KEPT = 2048  # about 1 KB each: a couple of MB per process at most


def _signed_claims(token: str) -> dict:
    """The claims of ``token`` if its header is ours and a published key signed it; raises
    ``Invalid`` (or a decoding error, which ``verify`` turns into one) otherwise."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    remembered = _signature_checked.get(token)
    if remembered is not None:
        kid, key = remembered
        if _verification_key(kid) is key:
            return json.loads(_b64decode(payload_b64))
    header = json.loads(_b64decode(header_b64))
    if header.get("alg") != "RS256" or str(header.get("typ", "")).lower() not in JWT_TYPES:
        raise Invalid("The access token is invalid.")
    kid = header.get("kid")
    key = _verification_key(kid)
    if key is None:
        raise Invalid("The access token is invalid.")
    key.verify(
        _b64decode(signature_b64),
        f"{header_b64}.{payload_b64}".encode("ascii"),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    if len(_signature_checked) >= SIGNATURES_KEPT:
        _signature_checked.clear()
    _signature_checked[token] = (kid, key)
    return json.loads(_b64decode(payload_b64))


def _check_claims(claims, *, issuer: str, audience: str | None) -> None:
    if not isinstance(claims, dict) or claims.get("iss") != issuer:
        raise Invalid("The access token is invalid.")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
        raise Invalid("The access token has expired.")
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    if audience is None or not isinstance(audiences, list) or audience not in audiences:
        raise Invalid("The access token is not valid for this resource.")
    if not all(isinstance(claims.get(name), str) for name in ("sub", "client_id", "scope", "jti")):
        raise Invalid("The access token is invalid.")
    if not bearer.jwt_access_token_live(jti=claims["jti"], expires_at=claims["exp"]):
        raise Invalid("The access token is invalid.")
