"""A resource server outside Django checks our tokens without us: ``server.py`` (standard library
and joserfc only) runs as its own process next to a live gunicorn authorization server, reads
discovery and the JWKS, verifies JWT access tokens locally and introspects opaque ones with its
own client credentials. A real client gets its tokens with the client-credentials grant.

- Orders (JWT): a valid token 200; another API's token, an expired one, a tampered one, an ID-
  token-typed one or one from another issuer 401 ``invalid_token``; a missing scope 403.
- Billing (opaque): a valid token 200 through introspection; once revoked, 401; a token for
  another API 401 (our introspection answers ``active: false`` to this client).
"""

import base64
import importlib.util
import json
import os
import secrets
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from tests import gunicorn_servers
from tests.gunicorn_servers import Server, free_port, gunicorn_start, server_stop

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None,
    reason="gunicorn is not installed: this test starts real gunicorn server processes",
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
HTTP_TIMEOUT = 10
ORDERS, STOCK, BILLING = (
    "https://orders.example.test",
    "https://stock.example.test",
    "api://billing",
)


def server_environment(database_file: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database_file}",
        "DJANGO_SETTINGS_MODULE": "oauth_portal.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_DEBUG": "1",
    }


def resource_server_start(*, issuer, audience, scopes, client, log_file: Path) -> Server:
    """``server.py`` as its own process: what another team would run, knowing only these."""
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ""}
    if client:
        env |= {"RS_CLIENT_ID": client[0], "RS_CLIENT_SECRET": client[1]}
    command = [sys.executable, str(HERE / "server.py"), "--issuer", issuer]
    command += ["--audience", audience, "--port", str(port)]
    for method, scope in scopes.items():
        command += ["--scope", f"{method}={scope}"]
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log_file=log_file)
    try:
        gunicorn_servers.wait_until_healthy(server)
    except BaseException:
        server_stop(server)
        raise
    return server


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The authorization server (gunicorn) and three external resource servers."""
    tmp = tmp_path_factory.mktemp("external-rs")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    env = server_environment(tmp / "db.sqlite3")
    gunicorn_servers.manage(PROJECT_ROOT, env, "migrate", "--noinput", "-v0")
    setup = gunicorn_servers.manage(
        PROJECT_ROOT,
        {**env, "SETUP_ISSUER": issuer},
        "shell",
        "-c",
        (HERE / "setup_world.py").read_text(),
    )
    made = json.loads(setup.strip().splitlines()[-1])
    creds = made["secrets"]
    with ExitStack() as cleanup:
        server = gunicorn_start(
            "oauth_portal.wsgi:application",
            cwd=PROJECT_ROOT,
            env=env,
            log_file=tmp / "gunicorn.log",
            port=port,
            options=("--workers", "2", "--timeout", "30"),
        )
        cleanup.callback(server_stop, server)
        started = {}
        for name, issuer_url, audience, scopes, client in [
            ("orders", issuer, ORDERS, {"GET": "orders:read", "POST": "orders:write"}, "orders"),
            ("billing", issuer, BILLING, {"GET": "billing:read"}, "billing"),
            # Same API, but it trusts the issuer under another name: our tokens are not its.
            ("orders_elsewhere", f"http://localhost:{port}/o", ORDERS, {"GET": "orders:read"}, ""),
        ]:
            client_id = f"{client}-gateway"
            rs = resource_server_start(
                issuer=issuer_url,
                audience=audience,
                scopes=scopes,
                client=(client_id, creds[client_id]) if client else None,
                log_file=tmp / f"rs-{name}.log",
            )
            cleanup.callback(server_stop, rs)
            started[name] = rs.url
        yield {"server": server.url, "issuer": issuer, **made, **started}


def service_token(world, scope: str, **extra) -> str:
    """A client-credentials token for the shop's backend, as any OAuth client gets one."""
    response = requests.post(
        f"{world['server']}/o/token/",
        data={"grant_type": "client_credentials", "scope": scope, **extra},
        auth=("shop-backend", world["secrets"]["shop-backend"]),
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def call(url: str, token: str | None, method: str = "GET") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{url}/orders/42", headers=headers, timeout=HTTP_TIMEOUT)


def assert_invalid_token(response):
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json()["error"] == "invalid_token"


def test_a_jwt_for_this_api_is_verified_without_asking_the_server(world):
    token = service_token(world, "orders:read")
    assert token.count(".") == 2  # the Orders API takes JWT access tokens

    response = call(world["orders"], token)

    assert response.status_code == 200, response.text
    assert response.json() | {"path": ""} == {
        "method": "GET",
        "path": "",
        "sub": "shop-backend",
        "client_id": "shop-backend",
        "scope": "orders:read",
        "checked_by": "jwt",
    }


def test_no_token_is_a_bare_bearer_challenge(world):
    response = call(world["orders"], None)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "error=" not in response.headers["WWW-Authenticate"]


def test_a_missing_scope_is_403_insufficient_scope(world):
    token = service_token(world, "orders:read")

    response = call(world["orders"], token, method="POST")

    assert response.status_code == 403
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="orders:write"' in challenge


def test_a_jwt_for_another_api_is_refused(world):
    token = service_token(world, "stock:read")  # aud: the Stock API

    assert_invalid_token(call(world["orders"], token))


def test_an_expired_jwt_is_refused(world):
    response = call(world["orders"], world["expired"])

    assert_invalid_token(response)
    assert "expired" in response.json()["error_description"]


def test_a_tampered_jwt_is_refused(world):
    header, payload, signature = service_token(world, "orders:read").split(".")
    forged = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")

    assert_invalid_token(call(world["orders"], f"{header}.{forged}.{signature}"))


def test_a_jwt_naming_a_key_we_never_published_is_refused(world):
    header, payload, signature = service_token(world, "orders:read").split(".")
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    unknown = base64.urlsafe_b64encode(json.dumps({**fields, "kid": "nope"}).encode()).rstrip(b"=")

    assert_invalid_token(call(world["orders"], f"{unknown.decode()}.{payload}.{signature}"))


def test_a_jwt_that_is_not_typed_as_an_access_token_is_refused(world):
    # Signed by our key with good claims, but typ JWT: an ID token must never open an API.
    response = call(world["orders"], world["id_token_typed"])

    assert_invalid_token(response)
    assert "at+jwt" in response.json()["error_description"]


def test_a_jwt_from_another_issuer_is_refused(world):
    token = service_token(world, "orders:read")

    assert_invalid_token(call(world["orders_elsewhere"], token))


def test_an_opaque_token_is_checked_by_introspection(world):
    token = service_token(world, "billing:read")
    assert "." not in token  # the Billing API keeps opaque tokens

    response = call(world["billing"], token)

    assert response.status_code == 200, response.text
    assert response.json()["checked_by"] == "introspection"
    assert response.json()["client_id"] == "shop-backend"


def test_a_revoked_opaque_token_is_refused_at_once(world):
    token = service_token(world, "billing:read")
    assert call(world["billing"], token).status_code == 200

    revoked = requests.post(
        f"{world['server']}/o/revoke_token/",
        data={"token": token, "token_type_hint": "access_token"},
        auth=("shop-backend", world["secrets"]["shop-backend"]),
        timeout=HTTP_TIMEOUT,
    )

    assert revoked.status_code == 200
    assert_invalid_token(call(world["billing"], token))


def test_an_opaque_token_for_another_api_is_refused(world):
    token = service_token(world, "colors:read")  # the Colors API: opaque, not Billing's

    assert_invalid_token(call(world["billing"], token))


def test_an_unknown_opaque_token_is_refused(world):
    assert_invalid_token(call(world["billing"], "made-up-token"))
