"""Keys: two server processes publish the same JWKS and verify each other's ID tokens.

Two real gunicorn processes (one worker each, on two ports) share one SQLite database file, the
way several workers or hosts share one database in production. Proves that the signing key lives
in the database and not in a process: both servers, asked for their JWKS at the same moment on a
fresh database, agree on one key; an authorization code issued by A is redeemed at B (and one
issued by B at A); and each server's ID tokens verify against the other server's JWKS.
"""

import importlib.util
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests import gunicorn_servers
from tests.e2e.protocol_helpers import (
    approve_consent,
    discovery,
    published_jwks,
    query_of,
    sign_in,
    verified_id_token_claims,
)
from tests.gunicorn_servers import free_port, gunicorn_start, server_stop

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None,
    reason="gunicorn is not installed: this test starts real gunicorn server processes",
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What `manage.py seed_demo` creates (DJANGO_DEBUG=1 keeps these fixed).
DEMO_USER, DEMO_PASSWORD = "alice", "alice-demo-pass"
DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "demo-web-app", "demo-web-app-secret-0123456789"
SCOPE = "openid profile email colors:read"
HTTP_TIMEOUT = 10


# --- Processes -------------------------------------------------------------------------------


def server_environment(database_file: Path) -> dict[str, str]:
    """The environment an operator would give every process: one database, one secret key."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database_file}",
        "DJANGO_SETTINGS_MODULE": "oauth_portal.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_DEBUG": "1",  # plain http on localhost: cookies are not Secure
    }


def manage(env: dict[str, str], *args: str) -> str:
    return gunicorn_servers.manage(PROJECT_ROOT, env, *args)


@pytest.fixture
def two_servers(tmp_path):
    """(url_a, url_b): two gunicorns on one fresh, migrated, seeded SQLite database."""
    port_a, port_b = free_port(), free_port()
    url_a = f"http://127.0.0.1:{port_a}"
    env = server_environment(tmp_path / "db.sqlite3")
    manage(env, "migrate", "--noinput", "-v0")
    # The demo web app's first redirect URI is then http://127.0.0.1:<port A>/demo/callback.
    manage(env, "seed_demo", "--base-url", url_a)

    with ExitStack() as cleanup:
        for port in (port_a, port_b):
            server = gunicorn_start(
                "oauth_portal.wsgi:application",
                cwd=PROJECT_ROOT,
                env=env,
                log_file=tmp_path / f"gunicorn-{port}.log",
                port=port,
                options=("--workers", "1", "--timeout", "30"),
            )
            cleanup.callback(server_stop, server)
        yield url_a, f"http://127.0.0.1:{port_b}"


# --- The flow, by hand (the Authlib flow is in test_live_server_authlib.py) --------------------


def get_code(authorizing_server: str, *, redirect_uri: str, nonce: str) -> tuple[str, str]:
    """Sign in and allow on ``authorizing_server``; return (code, PKCE verifier)."""
    verifier = generate_token(48)
    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "state": generate_token(16),
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
        # The second run would otherwise skip the page: the user's consent is stored.
        "prompt": "consent",
    }
    url = requests.Request("GET", f"{authorizing_server}/o/authorize/", params=params).prepare().url
    browser = sign_in(authorizing_server, DEMO_USER, DEMO_PASSWORD)
    location = approve_consent(browser, url)
    assert location.startswith(f"{redirect_uri}?"), location
    response = query_of(location)
    assert response["state"] == params["state"]
    return response["code"], verifier


def redeem(token_server: str, code: str, verifier: str, *, redirect_uri: str) -> dict:
    response = requests.post(
        f"{token_server}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200, (
        f"redeem at {token_server}: {response.status_code} {response.text}"
    )
    return response.json()


def issuer_of(server: str) -> str:
    issuer = discovery(server)["issuer"]
    assert issuer == f"{server}/o"
    return issuer


# --- Test ------------------------------------------------------------------------------------


def test_two_processes_share_jwks_and_verify_each_others_id_tokens(two_servers):
    url_a, url_b = two_servers
    redirect_uri = f"{url_a}/demo/callback"

    # Fresh database, no key yet: both processes are asked at once and must agree on one key.
    with ThreadPoolExecutor(max_workers=2) as pool:
        jwks_a, jwks_b = pool.map(published_jwks, (url_a, url_b))
    assert jwks_a == jwks_b, "the two processes publish different JWKS"
    assert [(key["kid"], key["n"]) for key in jwks_a["keys"]] == [
        (key["kid"], key["n"]) for key in jwks_b["keys"]
    ]
    assert len(jwks_a["keys"]) == 1 and jwks_a["keys"][0]["kid"]
    assert requests.get(f"{url_a}/o/.well-known/jwks.json", timeout=HTTP_TIMEOUT).content == (
        requests.get(f"{url_b}/o/.well-known/jwks.json", timeout=HTTP_TIMEOUT).content
    ), "JWKS documents are not byte-identical"

    # A code issued by A is redeemed at B; B's ID token verifies with A's JWKS.
    nonce = generate_token(20)
    code, verifier = get_code(url_a, redirect_uri=redirect_uri, nonce=nonce)
    tokens_from_b = redeem(url_b, code, verifier, redirect_uri=redirect_uri)
    claims_b = verified_id_token_claims(
        tokens_from_b["id_token"],
        published_jwks(url_a),
        issuer=issuer_of(url_b),
        client_id=DEMO_CLIENT_ID,
        nonce=nonce,
    )

    # And the other way round: a code issued by B is redeemed at A; A's ID token verifies with B's.
    nonce = generate_token(20)
    code, verifier = get_code(url_b, redirect_uri=redirect_uri, nonce=nonce)
    tokens_from_a = redeem(url_a, code, verifier, redirect_uri=redirect_uri)
    claims_a = verified_id_token_claims(
        tokens_from_a["id_token"],
        published_jwks(url_b),
        issuer=issuer_of(url_a),
        client_id=DEMO_CLIENT_ID,
        nonce=nonce,
    )

    assert claims_a["sub"] == claims_b["sub"]
    # The access token B issued works at A's API too: one database, one set of tokens.
    colors = requests.get(
        f"{url_a}/api/colors/",
        headers={"Authorization": f"Bearer {tokens_from_b['access_token']}"},
        timeout=HTTP_TIMEOUT,
    )
    assert colors.status_code == 200, colors.text
