"""The protocol as a client speaks it over HTTP, plus a helper that fires racing requests.

Sign-in and consent reuse the helpers of ``tests/e2e/protocol_helpers.py``.
"""

import base64
import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.protocol_helpers import approve_consent, query_of, sign_in

# What `manage.py seed_demo` creates with DJANGO_DEBUG=1.
DEMO_USER, DEMO_PASSWORD = "alice", "alice-demo-pass"
DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "demo-web-app", "demo-web-app-secret-0123456789"
SCOPE = "openid profile email colors:read"
HTTP_TIMEOUT = 15
RACERS = 8


@dataclass(frozen=True)
class Issued:
    """An authorization code as the client receives it, with what it needs to redeem it."""

    code: str
    verifier: str
    nonce: str
    redirect_uri: str


def browser_signed_in(server_url: str) -> requests.Session:
    return sign_in(server_url, DEMO_USER, DEMO_PASSWORD)


def code_issue(server_url: str, browser: requests.Session, *, redirect_uri: str) -> Issued:
    """Ask ``server_url`` for a code (PKCE S256, nonce) and press Allow on its consent page."""
    verifier, nonce = generate_token(48), generate_token(20)
    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": generate_token(16),
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        # Consent is stored after the first run; this keeps the page (and the flow) the same.
        "prompt": "consent",
    }
    url = requests.Request("GET", f"{server_url}/o/authorize/", params=params).prepare().url
    location = approve_consent(browser, url)
    assert location.startswith(f"{redirect_uri}?"), location
    answer = query_of(location)
    assert answer["state"] == params["state"], answer
    return Issued(answer["code"], verifier, nonce, redirect_uri)


def token_post(server_url: str, data: dict) -> requests.Response:
    """A token request from the confidential demo client (client_secret_basic)."""
    return requests.post(
        f"{server_url}/o/token/",
        data=data,
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=HTTP_TIMEOUT,
    )


def redeem(server_url: str, issued: Issued) -> requests.Response:
    return token_post(
        server_url,
        {
            "grant_type": "authorization_code",
            "code": issued.code,
            "redirect_uri": issued.redirect_uri,
            "code_verifier": issued.verifier,
        },
    )


def refresh(server_url: str, refresh_token: str) -> requests.Response:
    return token_post(server_url, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def tokens_issue(server_url: str, browser: requests.Session, *, redirect_uri: str) -> dict:
    """A fresh token response (code issued and redeemed at ``server_url``)."""
    response = redeem(server_url, code_issue(server_url, browser, redirect_uri=redirect_uri))
    assert response.status_code == 200, f"{response.status_code} {response.text[:500]}"
    return response.json()


def revoke(server_url: str, token: str, *, hint: str) -> requests.Response:
    return requests.post(
        f"{server_url}/o/revoke_token/",
        data={"token": token, "token_type_hint": hint},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=HTTP_TIMEOUT,
    )


def colors(server_url: str, access_token: str) -> requests.Response:
    return requests.get(
        f"{server_url}/api/colors/",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=HTTP_TIMEOUT,
    )


def jwt_header(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def checksum(token: str) -> str:
    """What the server stores in place of a token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- Racing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | str

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


def answer_of(response: requests.Response) -> Answer:
    try:
        return Answer(response.status_code, response.json())
    except ValueError:
        return Answer(response.status_code, response.text[:500])


def client_recently_used(server_url: str) -> None:
    """Authenticate the demo client once, just before a race.

    The server writes a client's "secret last used" time at most once a minute, inside the
    token transaction; racers that all do that write queue on the client's row, which would
    serialise them by accident and hide a missing lock on the code or refresh token.
    """
    response = token_post(server_url, {"grant_type": "authorization_code", "code": "made-up"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def race(send, *, racers: int = RACERS) -> list[Answer]:
    """Call ``send()`` from ``racers`` threads released at once by a barrier.

    Each thread opens its own connection, so the requests reach the server together.
    """
    barrier = threading.Barrier(racers)

    def one() -> Answer:
        barrier.wait(timeout=HTTP_TIMEOUT)
        return answer_of(send())

    with ThreadPoolExecutor(max_workers=racers) as pool:
        futures = [pool.submit(one) for _ in range(racers)]
        return [future.result(timeout=2 * HTTP_TIMEOUT) for future in futures]
