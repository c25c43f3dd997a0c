"""A resource server that is not part of our Django project: it checks our access tokens alone.

It stands for an API written by someone else, or a gateway in front of one: its only
dependencies are the Python standard library and joserfc, and all it knows about our
authorization server is the issuer URL, its own audience identifier and, for opaque tokens,
its own client credentials. At start it reads the issuer's discovery document
(``<issuer>/.well-known/openid-configuration``) and the JWKS it names; then, for every request:

- a JWT access token (RFC 9068) is verified locally: RS256 signature with a key from the JWKS
  (fetched again, at most every ``JWKS_REFRESH_SECONDS``, when a token names an unknown ``kid``:
  keys rotate), header ``typ`` ``at+jwt`` (so an ID token is never taken for an access token),
  ``iss`` equal to the issuer, ``aud`` naming this API, ``exp`` in the future, and ``sub``,
  ``client_id``, ``iat``, ``jti`` present;
- any other token is sent to the introspection endpoint (RFC 7662) with this server's client
  credentials: only ``"active": true`` passes, and an ``aud`` in the answer must name this API.
  Revoked tokens are inactive there at once; a JWT stays valid here until it expires (keep
  access tokens short, or introspect JWTs too).

Then the scope the HTTP method needs (``--scope GET=orders:read``) must be in the token's
``scope``. Answers follow RFC 6750: 401 with ``WWW-Authenticate: Bearer`` (and
``error="invalid_token"`` when a token was sent), 403 ``insufficient_scope`` naming the scope.
``GET /healthz`` answers without a token. Nothing is logged about a token but why it failed.

Run it:
    RS_CLIENT_ID=... RS_CLIENT_SECRET=... python server.py --issuer http://127.0.0.1:8000/o \
        --audience https://orders.example.test --scope GET=orders:read --scope POST=orders:write
"""

import argparse
import base64
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

ACCESS_TOKEN_TYPES = {"at+jwt", "application/at+jwt"}
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "client_id", "jti")
JWKS_REFRESH_SECONDS = 10
HTTP_TIMEOUT_SECONDS = 5
MAX_TOKEN_LENGTH = 8192


class Refused(Exception):
    """Why a request gets no answer from the API, as an RFC 6750 error."""

    def __init__(self, status: int, error: str = "", description: str = "", scope: str = ""):
        super().__init__(description or error)
        self.status, self.error, self.description, self.scope = status, error, description, scope


def http_json(url: str, *, data: dict | None = None, auth: tuple[str, str] | None = None):
    """GET (or POST a form to) ``url`` and return its JSON body; ``auth`` is HTTP Basic."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})
    if auth:
        pair = ":".join(urllib.parse.quote(part, safe="") for part in auth)  # RFC 6749 §2.3.1
        request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return json.loads(response.read())


class TokenVerifier:
    """Everything this API checks about a bearer token, from our published metadata."""

    def __init__(self, *, issuer: str, audience: str, client: tuple[str, str] | None, leeway=30):
        self.issuer, self.audience, self.client, self.leeway = issuer, audience, client, leeway
        metadata = http_json(f"{issuer}/.well-known/openid-configuration")
        if metadata.get("issuer") != issuer:
            # OpenID Connect Discovery §4.3: a document for another issuer is not ours to trust.
            raise SystemExit(f"Discovery names issuer {metadata.get('issuer')!r}, not {issuer!r}")
        self.jwks_uri = metadata["jwks_uri"]
        self.introspection_endpoint = metadata.get("introspection_endpoint")
        self._keys_lock = threading.Lock()
        self._keys, self._keys_fetched = self._fetch_keys(), time.monotonic()

    def _fetch_keys(self) -> KeySet:
        return KeySet.import_key_set(http_json(self.jwks_uri))

    def _refresh_keys(self) -> bool:
        """Fetch the JWKS again if it was not fetched lately (a forged kid cannot flood it)."""
        with self._keys_lock:
            if time.monotonic() - self._keys_fetched < JWKS_REFRESH_SECONDS:
                return False
            self._keys, self._keys_fetched = self._fetch_keys(), time.monotonic()
            return True

    def verify(self, token: str) -> dict:
        """The token's claims (``checked_by`` says how), or ``Refused``."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise Refused(401, "invalid_token", "The token is too long.")
        if token.count(".") == 2:
            return {**self.verify_jwt(token), "checked_by": "jwt"}
        return {**self.introspect(token), "checked_by": "introspection"}

    def verify_jwt(self, token: str) -> dict:
        try:
            decoded = self._decode(token)
        except InvalidKeyIdError:
            decoded = self._decode_with_fresh_keys(token)
        if str(decoded.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise Refused(401, "invalid_token", "Not an access token (typ must be at+jwt).")
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            **{name: {"essential": True} for name in REQUIRED_CLAIMS if name not in ("iss", "aud")},
        )
        try:
            registry.validate(decoded.claims)
        except ExpiredTokenError:
            raise Refused(401, "invalid_token", "The token has expired.") from None
        except JoseError as error:
            raise Refused(401, "invalid_token", f"Claim check failed: {error.error}.") from None
        return decoded.claims

    def _decode_with_fresh_keys(self, token: str):
        """Keys rotate: a kid we do not know may be new. Ask for the JWKS again (rarely)."""
        try:
            if self._refresh_keys():
                return self._decode(token)
        except InvalidKeyIdError:
            pass
        except (urllib.error.URLError, ValueError, TimeoutError):
            raise Refused(503, description="The authorization server did not answer.") from None
        raise Refused(401, "invalid_token", "Signed with a key we do not know.")

    def _decode(self, token: str):
        try:
            return jwt.decode(token, self._keys, algorithms=["RS256"])
        except InvalidKeyIdError:
            raise
        except (JoseError, ValueError):
            raise Refused(401, "invalid_token", "The token's signature does not verify.") from None

    def introspect(self, token: str) -> dict:
        if not (self.introspection_endpoint and self.client):
            raise Refused(401, "invalid_token", "Opaque tokens need introspection credentials.")
        try:
            answer = http_json(
                self.introspection_endpoint,
                data={"token": token, "token_type_hint": "access_token"},
                auth=self.client,
            )
        except (urllib.error.URLError, ValueError, TimeoutError):
            # The authorization server cannot vouch for the token now: refuse, never guess.
            raise Refused(503, description="The authorization server did not answer.") from None
        if answer.get("active") is not True:
            raise Refused(401, "invalid_token", "The token is not active.")
        audiences = answer.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else audiences
        if audiences is not None and self.audience not in audiences:
            raise Refused(401, "invalid_token", "The token is for another API.")
        return answer


class ResourceHandler(BaseHTTPRequestHandler):
    verifier: TokenVerifier
    scopes_by_method: dict[str, str]
    realm = "api"

    def do_GET(self):
        if self.path == "/healthz":
            return self.answer(200, {"status": "ok"})
        self.serve()

    def do_POST(self):
        self.serve()

    def do_PUT(self):
        self.serve()

    def do_DELETE(self):
        self.serve()

    def serve(self):
        try:
            claims = self.check()
        except Refused as refusal:
            return self.refuse(refusal)
        except Exception as error:  # a bug here must refuse the request, never let it through
            self.log_error("check failed: %s", type(error).__name__)
            return self.refuse(Refused(500, description="The token could not be checked."))
        self.answer(
            200,
            {
                "method": self.command,
                "path": self.path,
                "sub": claims.get("sub"),
                "client_id": claims.get("client_id"),
                "scope": claims.get("scope", ""),
                "checked_by": claims["checked_by"],
            },
        )

    def check(self) -> dict:
        needed = self.scopes_by_method.get(self.command)
        if needed is None:
            raise Refused(405, description=f"{self.command} is not served here.")
        parts = self.headers.get("Authorization", "").split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise Refused(401)  # no token: a bare challenge (RFC 6750 §3.1)
        claims = self.verifier.verify(parts[1])
        if needed not in str(claims.get("scope", "")).split():
            raise Refused(403, "insufficient_scope", f"This needs {needed}.", scope=needed)
        return claims

    def refuse(self, refusal: Refused):
        headers = {}
        if refusal.status in (401, 403):
            params = [f'realm="{self.realm}"']
            if refusal.error:
                params.append(f'error="{refusal.error}"')
            if refusal.description:
                params.append(f'error_description="{refusal.description}"')
            if refusal.scope:
                params.append(f'scope="{refusal.scope}"')
            headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
        body = {"error": refusal.error} if refusal.error else {}
        if refusal.description:
            body["error_description"] = refusal.description
        self.answer(refusal.status, body, headers)

    def answer(self, status: int, body: dict, headers: dict | None = None):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        # The request line only; the Authorization header is never written anywhere.
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def parse_scopes(values: list[str]) -> dict[str, str]:
    scopes = {}
    for value in values:
        method, _, scope = value.partition("=")
        if not scope:
            raise SystemExit(f"--scope takes METHOD=scope, not {value!r}")
        scopes[method.upper()] = scope
    return scopes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issuer", required=True, help="e.g. https://id.example.com/o")
    parser.add_argument("--audience", required=True, help="this API's identifier")
    parser.add_argument("--scope", action="append", default=[], help="METHOD=scope")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--leeway", type=int, default=30, help="clock skew allowed, seconds")
    args = parser.parse_args(argv)
    client_id, secret = os.environ.get("RS_CLIENT_ID"), os.environ.get("RS_CLIENT_SECRET")
    ResourceHandler.verifier = TokenVerifier(
        issuer=args.issuer.rstrip("/"),
        audience=args.audience,
        client=(client_id, secret) if client_id and secret else None,
        leeway=args.leeway,
    )
    ResourceHandler.scopes_by_method = parse_scopes(args.scope)
    server = ThreadingHTTPServer((args.host, args.port), ResourceHandler)
    print(f"Serving {args.audience} on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
