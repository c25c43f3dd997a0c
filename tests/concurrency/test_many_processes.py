"""Two gunicorn servers on different ports sharing ONE PostgreSQL database, as two hosts behind
a load balancer would: every piece of protocol state lives in the database, none in a process.

- a code issued by one is redeemed at the other (and is single use across both);
- an ID token signed by one verifies with the other's JWKS;
- a token revoked at one is refused at the other, even when the other has it in the shared
  token cache (Redis, when one answers), and so is a JWT access token (RFC 9068);
- a signing-key rotation made through one (``manage.py rotate_signing_key`` in its own process)
  is served by both within ``PORTAL_SIGNING_KEY_CACHE_SECONDS`` (1 s here), without a restart;
- two rotations at once both succeed and leave one current key;
- a client's secret changed by a third process is needed at once by both, although every
  worker keeps its clients' rows (``client_memo``, when Redis answers).

Each server runs 2 worker processes (2 threads each), so "both" means four processes. Neither
server may log a traceback during a test.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.concurrency.protocol import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    HTTP_TIMEOUT,
    browser_signed_in,
    code_issue,
    colors,
    jwt_header,
    redeem,
    refresh,
    revoke,
)
from tests.concurrency.servers import (
    COMMAND_TIMEOUT,
    REGISTRY_CACHE_SECONDS,
    SIGNING_KEY_CACHE_SECONDS,
    manage,
    manage_start,
    server_start,
)
from tests.e2e.protocol_helpers import published_jwks, verified_id_token_claims
from tests.gunicorn_servers import server_stop

# Request latency on a loaded machine, on top of the cache lifetime.
PROPAGATION_SLACK_SECONDS = 5


class Servers:
    def __init__(self, database, a, b):
        self.database, self.processes = database, (a, b)
        self.a, self.b = a.url, b.url
        self.browser = browser_signed_in(self.a)  # one session; both servers read it

    def tokens(self, server_url: str) -> tuple[dict, str]:
        """Tokens for alice (the code issued and redeemed at ``server_url``), and the nonce
        the ID token must carry."""
        issued = code_issue(server_url, self.browser, redirect_uri=self.database.redirect_uri)
        response = redeem(server_url, issued)
        assert response.status_code == 200, f"{response.status_code} {response.text[:500]}"
        return response.json(), issued.nonce


@pytest.fixture(scope="module")
def servers(postgres_database, log_dir) -> Servers:
    with ThreadPoolExecutor(max_workers=2) as pool:
        starting = [
            pool.submit(server_start, postgres_database, log_dir, workers=2, threads=2)
            for _ in range(2)
        ]
    started = [future.result() for future in starting if future.exception() is None]
    try:
        assert len(started) == 2, [future.exception() for future in starting]
        yield Servers(postgres_database, *started)
    finally:
        for server in started:
            server_stop(server)


@pytest.fixture(autouse=True)
def no_server_errors(servers):
    log_starts = [server.log_size() for server in servers.processes]
    yield
    for server, start in zip(servers.processes, log_starts):
        written = server.log_since(start)
        assert "Traceback" not in written, written[-4000:]


def assert_invalid_token(response: requests.Response) -> None:
    assert response.status_code == 401, response.text[:500]
    assert 'error="invalid_token"' in response.headers.get("WWW-Authenticate", "")


def kids(server_url: str) -> set[str]:
    return {key["kid"] for key in published_jwks(server_url)["keys"]}


def id_token_claims(id_token: str, nonce: str, *, signed_at: str, verified_with: str) -> dict:
    """Verify an ID token issued by ``signed_at`` with the JWKS that ``verified_with`` serves."""
    return verified_id_token_claims(
        id_token,
        published_jwks(verified_with),
        issuer=f"{signed_at}/o",
        client_id=DEMO_CLIENT_ID,
        nonce=nonce,
    )


# --- Tests -----------------------------------------------------------------------------------


def test_code_issued_by_one_process_is_redeemed_at_the_other(servers):
    issued = code_issue(servers.a, servers.browser, redirect_uri=servers.database.redirect_uri)

    redeemed_at_b = redeem(servers.b, issued)

    assert redeemed_at_b.status_code == 200, redeemed_at_b.text[:500]
    tokens = redeemed_at_b.json()
    assert colors(servers.a, tokens["access_token"]).status_code == 200
    # Single use holds across processes: a replay at A fails and revokes what B issued.
    replay_at_a = redeem(servers.a, issued)
    assert (replay_at_a.status_code, replay_at_a.json()["error"]) == (400, "invalid_grant")
    assert_invalid_token(colors(servers.b, tokens["access_token"]))


def test_id_token_signed_by_one_process_verifies_with_the_others_jwks(servers):
    assert published_jwks(servers.a) == published_jwks(servers.b)
    (from_a, nonce_a), (from_b, nonce_b) = servers.tokens(servers.a), servers.tokens(servers.b)

    claims_a = id_token_claims(
        from_a["id_token"], nonce_a, signed_at=servers.a, verified_with=servers.b
    )
    claims_b = id_token_claims(
        from_b["id_token"], nonce_b, signed_at=servers.b, verified_with=servers.a
    )

    assert claims_a["sub"] == claims_b["sub"]


def test_token_revoked_at_one_process_is_refused_at_the_other(servers):
    tokens, _nonce = servers.tokens(servers.a)
    assert colors(servers.b, tokens["access_token"]).status_code == 200

    assert revoke(servers.a, tokens["access_token"], hint="access_token").status_code == 200
    assert_invalid_token(colors(servers.b, tokens["access_token"]))

    assert revoke(servers.b, tokens["refresh_token"], hint="refresh_token").status_code == 200
    refreshed = refresh(servers.a, tokens["refresh_token"])
    assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")


COLORS_API_FORMAT_SQL = (
    "UPDATE portal_server_apiresource SET access_token_format = %s WHERE base_path = %s"
)


@pytest.fixture
def colors_api_uses_jwt(servers):
    servers.database.execute(COLORS_API_FORMAT_SQL, ("jwt", "/api/colors/"))
    time.sleep(REGISTRY_CACHE_SECONDS + 0.5)  # each process re-reads the registry
    yield
    servers.database.execute(COLORS_API_FORMAT_SQL, ("opaque", "/api/colors/"))
    time.sleep(REGISTRY_CACHE_SECONDS + 0.5)


def colors_behind_one_name(server_url: str, public_url: str, access_token: str):
    """GET /api/colors/ at ``server_url`` as a load balancer forwards it: with the public
    ``Host`` (the JWT's issuer is the server's public name, and differs per port here)."""
    return requests.get(
        f"{server_url}/api/colors/",
        headers={
            "Authorization": f"Bearer {access_token}",
            "Host": public_url.removeprefix("http://"),
        },
        timeout=HTTP_TIMEOUT,
    )


def test_jwt_access_token_revoked_at_one_process_is_refused_at_the_other(
    servers, colors_api_uses_jwt
):
    tokens, _nonce = servers.tokens(servers.a)
    token = tokens["access_token"]
    assert jwt_header(token)["typ"] == "at+jwt"
    assert colors_behind_one_name(servers.b, servers.a, token).status_code == 200

    assert revoke(servers.a, token, hint="access_token").status_code == 200

    assert_invalid_token(colors_behind_one_name(servers.b, servers.a, token))
    assert_invalid_token(colors(servers.a, token))


def test_signing_key_rotated_through_one_process_is_served_by_both(servers):
    before, before_nonce = servers.tokens(servers.a)
    old_kid = jwt_header(before["id_token"])["kid"]

    output = manage(servers.database.environment, "rotate_signing_key")
    rotated_at = time.monotonic()
    new_kid = output.split("New signing key ", 1)[1].split()[0]
    assert new_kid != old_kid

    # Both publish the new key within the cache lifetime (plus request latency).
    deadline = rotated_at + SIGNING_KEY_CACHE_SECONDS + PROPAGATION_SLACK_SECONDS
    while not (new_kid in kids(servers.a) and new_kid in kids(servers.b)):
        assert time.monotonic() < deadline, (
            f"new key {new_kid} not published by both after {PROPAGATION_SLACK_SECONDS}s "
            f"slack: A {kids(servers.a)}, B {kids(servers.b)}"
        )
        time.sleep(0.1)
    print(f"both servers published the new key {time.monotonic() - rotated_at:.2f}s after rotation")

    # Once the cache lifetime has passed, every worker of both signs with the new key...
    time.sleep(max(0.0, rotated_at + SIGNING_KEY_CACHE_SECONDS + 0.2 - time.monotonic()))
    for signer, verifier in ((servers.a, servers.b), (servers.b, servers.a)):
        for _ in range(2):  # two workers per server
            tokens, nonce = servers.tokens(signer)
            assert jwt_header(tokens["id_token"])["kid"] == new_kid
            id_token_claims(tokens["id_token"], nonce, signed_at=signer, verified_with=verifier)
    # ...and both still publish the retired key, so tokens it signed keep verifying.
    assert old_kid in kids(servers.a) and old_kid in kids(servers.b)
    for verifier in (servers.a, servers.b):
        id_token_claims(
            before["id_token"], before_nonce, signed_at=servers.a, verified_with=verifier
        )


def test_token_endpoints_answer_clients_without_a_csrf_cookie(servers):
    """A real client sends no CSRF cookie; Django's test client skips CSRF checks altogether.

    A mixin's ``dispatch`` in front of DOT's (which DOT marks ``csrf_exempt``) once dropped the
    exemption, and these endpoints answered 403 to every client: only a live server shows it.
    """
    auth = (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)

    def post(path: str, data: dict) -> requests.Response:
        return requests.post(f"{servers.a}{path}", data=data, auth=auth, timeout=HTTP_TIMEOUT)

    token = post("/o/token/", {"grant_type": "authorization_code", "code": "made-up"})
    revoked = post("/o/revoke_token/", {"token": "made-up"})
    introspected = post("/o/introspect/", {"token": "made-up"})

    statuses = [response.status_code for response in (token, revoked, introspected)]
    assert statuses == [400, 200, 200], statuses
    assert token.json()["error"] == "invalid_grant"
    assert introspected.json() == {"active": False}


def lock_waiters(database) -> int:
    [(count,)] = database.rows(
        "SELECT COUNT(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return count


def test_simultaneous_rotations_from_two_processes_both_succeed(servers):
    import psycopg

    database = servers.database
    assert kids(servers.a)  # the first read of the keys creates the first one
    [(keys_before,)] = database.rows("SELECT COUNT(*) FROM portal_server_signingkey")
    # Hold the current key's row lock so both rotations queue behind it, then let them go.
    with psycopg.connect(database.url.replace("postgres://", "postgresql://", 1)) as holder:
        holder.execute("SELECT id FROM portal_server_signingkey WHERE is_current FOR UPDATE")
        rotations = [manage_start(database.environment, "rotate_signing_key") for _ in range(2)]
        try:
            deadline = time.monotonic() + COMMAND_TIMEOUT
            while lock_waiters(database) < 2:
                exited = [
                    rotation.returncode for rotation in rotations if rotation.poll() is not None
                ]
                assert not exited and time.monotonic() < deadline, f"rotations exited: {exited}"
                time.sleep(0.05)
        finally:
            holder.rollback()
        outcomes = [rotation.communicate(timeout=COMMAND_TIMEOUT) for rotation in rotations]

    errors = [
        err[-600:] for rotation, (_out, err) in zip(rotations, outcomes) if rotation.returncode
    ]
    assert not errors, errors
    assert database.rows("SELECT COUNT(*) FROM portal_server_signingkey WHERE is_current") == [(1,)]
    assert database.rows("SELECT COUNT(*) FROM portal_server_signingkey") == [(keys_before + 2,)]


def introspect_as_demo_client(server_url: str, token: str, secret: str) -> requests.Response:
    return requests.post(
        f"{server_url}/o/introspect/",
        data={"token": token},
        auth=(DEMO_CLIENT_ID, secret),
        timeout=HTTP_TIMEOUT,
    )


def demo_client_secret_set(servers, secret: str) -> None:
    """Change the demo client's secret from a process of its own, as an admin's save would."""
    manage(
        servers.database.environment,
        "shell",
        "-c",
        "from oauth_portal.server.models import Application; "
        f"app = Application.objects.get(client_id={DEMO_CLIENT_ID!r}); "
        f"app.client_secret = {secret!r}; app.save()",
    )


def test_a_secret_changed_by_another_process_is_needed_at_once_by_both(servers):
    tokens, _nonce = servers.tokens(servers.a)
    token, new_secret = tokens["access_token"], "a-new-demo-secret-9876543210"
    for server in (servers.a, servers.b):
        for _ in range(8):  # every worker and thread of both keeps the client's row
            answer = introspect_as_demo_client(server, token, DEMO_CLIENT_SECRET)
            assert answer.json()["active"] is True, answer.text[:500]

    demo_client_secret_set(servers, new_secret)
    try:
        for server in (servers.a, servers.b):
            for _ in range(4):
                old = introspect_as_demo_client(server, token, DEMO_CLIENT_SECRET)
                assert old.status_code == 401, old.text[:500]
                new = introspect_as_demo_client(server, token, new_secret)
                assert new.json()["active"] is True, new.text[:500]
    finally:
        demo_client_secret_set(servers, DEMO_CLIENT_SECRET)
