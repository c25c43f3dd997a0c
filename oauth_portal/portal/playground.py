"""The portal playground plays an OAuth client against our own endpoints, over real HTTP.

It builds the authorization URL (state, nonce and a fresh PKCE pair), then calls the token,
revocation and JWKS endpoints and the Colors API exactly as a developer's code would, and
keeps a record of each HTTP exchange to show. A client secret is used for one request and
never kept: it is not logged, not put in the session, and shown masked.

The browser-facing URLs (authorization, callback) follow the host the developer reached us on.
The server-side calls never do: the Host header is the client's to choose, and ALLOWED_HOSTS
ignores its port, so ``Host: our-host:6379`` would make the server POST to that port and show
the answer. They go to ``internal_base_url``: ``PORTAL_INTERNAL_BASE_URL``, else the pinned
issuer's origin (``PORTAL_ISSUER``), else, on Django's own server (runserver, the test live
server), the loopback port it is bound to. The server must be able to serve a second request
while one is running: more than one gunicorn worker or thread (runserver is threaded).
"""

import base64
import hashlib
import json
import secrets
import shlex
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode, urlsplit

import requests
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider.settings import oauth2_settings

from oauth_portal.portal import app_settings

SESSION_KEY = "portal_playground"
TIMEOUT_SECONDS = (3, 10)  # connect, read
SECRET_PLACEHOLDER = "<your client secret>"
# Response headers worth showing a developer; the rest (Date, Server, Vary…) are noise here.
SHOWN_RESPONSE_HEADERS = ("Content-Type", "Cache-Control", "Pragma", "WWW-Authenticate")


@dataclass
class HttpExchange:
    """One HTTP request the playground made and the answer it got, ready to display."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: dict[str, str] = field(default_factory=dict)
    uses_secret: bool = False
    client_id: str = ""
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def json(self) -> dict | list | None:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    @property
    def request_text(self) -> str:
        """The request as it goes over the wire, secret masked."""
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{self.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body:
            lines += ["", urlencode(self.body)]
        return "\n".join(lines)

    @property
    def curl(self) -> str:
        """The same request as a curl command, with the secret left in a shell variable."""
        lines = [f"curl -i -X {self.method} {shlex.quote(self.url)}"]
        if self.uses_secret:
            lines.append(f'-u "{self.client_id}:$CLIENT_SECRET"')
        for name, value in self.headers:
            if name == "Content-Type" or (name == "Authorization" and self.uses_secret):
                continue  # curl sets them itself (--data-urlencode, -u)
            lines.append(f"-H {shlex.quote(f'{name}: {value}')}")
        lines += [f"--data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in self.body.items()]
        return " \\\n  ".join(lines)

    @property
    def response_text(self) -> str:
        """Status line, the headers worth showing, and the body (pretty-printed JSON)."""
        if self.status is None:
            return self.error
        lines = [f"HTTP/1.1 {self.status}"]
        lines += [f"{name}: {value}" for name, value in self.response_headers]
        body = self.json
        text = json.dumps(body, indent=2) if body is not None else self.response_body
        return "\n".join([*lines, "", text[:20000]])


NOT_CONFIGURED = (
    "The playground cannot call this server: set PORTAL_INTERNAL_BASE_URL (the URL this server "
    "answers on, e.g. http://127.0.0.1:8000) or pin PORTAL_ISSUER."
)
# wsgiref, which runserver and Django's test live server use, puts the port it bound in
# SERVER_PORT; a request cannot change it. Other servers may fill it from the Host header
# (gunicorn does on a unix socket), so their value is not used.
DJANGOS_OWN_SERVER = "WSGIServer/"


def internal_base_url(request) -> str:
    """Where the playground's server-side calls go (scheme://host[:port]), never taken from the
    request's Host header; empty when nothing trustworthy is configured."""
    configured = app_settings.PORTAL_INTERNAL_BASE_URL or oauth2_settings.OIDC_ISS_ENDPOINT
    if configured:
        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}"
    if str(request.META.get("SERVER_SOFTWARE", "")).startswith(DJANGOS_OWN_SERVER):
        port = str(request.META.get("SERVER_PORT", ""))
        return f"http://127.0.0.1:{port}" if port.isdigit() else ""
    return ""


def internal_url(request, name: str) -> str:
    """The absolute URL of our endpoint ``name`` for a server-side call ("" if unconfigured)."""
    base = internal_base_url(request)
    return f"{base}{reverse(name)}" if base else ""


def internal_issuer(request) -> str:
    """The issuer our token endpoint writes into ID tokens when called at ``internal_url``."""
    discovery = internal_url(request, "oauth2_provider:oidc-connect-discovery-info")
    issuer = discovery.removesuffix("/.well-known/openid-configuration")
    return oauth2_settings.OIDC_ISS_ENDPOINT or issuer


def http_session() -> requests.Session:
    """A fresh HTTP session for one playground step (sessions are not thread-safe).

    It ignores proxy settings from the environment: the playground only calls this server.
    """
    session = requests.Session()
    session.trust_env = False
    return session


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def callback_url(request) -> str:
    """The playground's redirect URI, on the host the developer reached us on."""
    return request.build_absolute_uri(reverse("portal:playground-callback"))


def flow_start(*, request, application, scopes: list[str]) -> dict:
    """A new authorization request for ``application``: what the session keeps and the URL.

    The PKCE verifier must survive the round trip through sign-in, so it stays in the
    developer's own session until the code is exchanged; it is never logged.
    """
    verifier, challenge = pkce_pair()
    flow = {
        "application_id": application.pk,
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "code_verifier": verifier,
        "redirect_uri": callback_url(request),
        "scope": " ".join(scopes),
        "issuer": oauth2_settings.oidc_issuer(request),
    }
    params = {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": flow["redirect_uri"],
        "scope": flow["scope"],
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    authorize = request.build_absolute_uri(reverse("oauth2_provider:authorize"))
    flow["authorize_url"] = f"{authorize}?{urlencode(params)}"
    flow["authorize_params"] = list(params.items())
    flow["code_challenge"] = challenge
    return flow


@sensitive_variables("authorization", "headers")
def _send(exchange: HttpExchange, *, authorization: str = "") -> HttpExchange:
    """Make the request; ``authorization`` replaces the masked header shown to the developer."""
    if not exchange.url:
        exchange.error = NOT_CONFIGURED
        return exchange
    headers = dict(exchange.headers)
    if authorization:
        headers["Authorization"] = authorization
    try:
        with http_session() as session:
            response = session.request(
                exchange.method,
                exchange.url,
                headers=headers,
                data=exchange.body or None,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )
    except requests.Timeout:
        # Typically a server that cannot answer while it waits for us: one single-threaded worker.
        exchange.error = (
            f"No answer from {exchange.url} in time. The playground calls this server over HTTP: "
            "it needs more than one worker or thread."
        )
        return exchange
    except requests.RequestException as error:
        exchange.error = f"Could not reach {exchange.url}: {type(error).__name__}"
        return exchange
    exchange.status = response.status_code
    exchange.response_headers = [
        (name, response.headers[name])
        for name in SHOWN_RESPONSE_HEADERS
        if name in response.headers
    ]
    exchange.response_body = response.text
    return exchange


@sensitive_variables("client_secret", "pair", "authorization")
def _client_post(*, url: str, application, body: dict, client_secret: str) -> HttpExchange:
    """POST a form to a client endpoint, authenticating as a confidential client would (HTTP
    Basic, RFC 6749 §2.3.1) or naming the public client in the body."""
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    authorization = ""
    if application.client_type == application.CLIENT_CONFIDENTIAL:
        pair = f"{quote_plus(application.client_id)}:{quote_plus(client_secret)}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        masked = f"Basic base64({application.client_id}:{SECRET_PLACEHOLDER})"
        headers.append(("Authorization", masked))
    else:
        body = {**body, "client_id": application.client_id}
    exchange = HttpExchange(
        method="POST",
        url=url,
        headers=headers,
        body=body,
        uses_secret=bool(authorization),
        client_id=application.client_id,
    )
    return _send(exchange, authorization=authorization)


def code_exchange(*, request, application, flow: dict, code: str, client_secret: str):
    """Redeem the authorization code at our token endpoint (with the PKCE verifier)."""
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow["redirect_uri"],
        "code_verifier": flow["code_verifier"],
    }
    return _client_post(
        url=internal_url(request, "oauth2_provider:token"),
        application=application,
        body=body,
        client_secret=client_secret,
    )


def token_refresh(*, request, application, refresh_token: str, client_secret: str):
    """Trade a refresh token for new tokens (it rotates: the old one stops working)."""
    return _client_post(
        url=internal_url(request, "oauth2_provider:token"),
        application=application,
        body={"grant_type": "refresh_token", "refresh_token": refresh_token},
        client_secret=client_secret,
    )


def token_revoke(*, request, application, token: str, client_secret: str):
    """Revoke a token (RFC 7009); revoking a refresh token ends its access token too."""
    return _client_post(
        url=internal_url(request, "oauth2_provider:revoke-token"),
        application=application,
        body={"token": token, "token_type_hint": "refresh_token"},
        client_secret=client_secret,
    )


def colors_list(*, request, access_token: str) -> HttpExchange:
    """GET /api/colors/ with the access token, as an API consumer would."""
    exchange = HttpExchange(
        method="GET",
        url=internal_url(request, "apis:colors"),
        headers=[("Authorization", f"Bearer {access_token}"), ("Accept", "application/json")],
    )
    return _send(exchange)


def id_token_verify(*, request, id_token: str, client_id: str, nonce: str) -> dict:
    """Verify an ID token against our published JWKS and return what a developer should see.

    The signature (RS256), issuer, audience, expiry and nonce are checked, as a relying party
    must (OIDC Core §3.1.3.7).
    """
    jwks = HttpExchange(
        method="GET",
        url=internal_url(request, "oauth2_provider:jwks-info"),
        headers=[("Accept", "application/json")],
    )
    _send(jwks)
    result = {"jwks": jwks, "claims": None, "header": None, "error": ""}
    if not jwks.ok:
        result["error"] = "Could not read the JWKS to verify the ID token."
        return result
    try:
        checked = jwt.JWT(
            jwt=id_token,
            key=jwk.JWKSet.from_json(jwks.response_body),
            algs=["RS256"],
            expected_type="JWS",
            check_claims={
                "iss": internal_issuer(request),
                "aud": client_id,
                "exp": None,
                "nonce": nonce,
            },
        )
    except (JWException, ValueError) as error:
        result["error"] = f"The ID token did not verify: {error}"
        return result
    result["claims"] = json.loads(checked.claims)
    result["header"] = json.loads(checked.header)
    return result
