"""No query in a loop: each endpoint the bench measures runs a fixed number of SQL statements,
however many scopes, APIs or tokens in the family there are (issue: performance, item 5).

Each test measures the same request against a small and a large registry (or family) and pins
both the equality and an upper bound, so a new query per scope or per token fails here before
it shows up in ``make bench``. The bounds count the rate limiter on the database cache and the
savepoints of the token endpoint's transaction.
"""

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oauth_portal.server import ratecounters
from oauth_portal.server.models import ApiResource, Scope
from tests.factories import ApplicationFactory
from tests.oauth_helpers import (
    basic_auth,
    get_code,
    mint_access_token,
    redeem,
    token_request,
)

pytestmark = pytest.mark.django_db


def grow_registry(count: int) -> list[str]:
    """``count`` more APIs, each with two scopes; returns the new scope names."""
    names = []
    for n in range(count):
        api = ApiResource.objects.create(
            name=f"Extra {n}", identifier=f"https://api.example.test/extra{n}", base_path=f"/x{n}/"
        )
        for verb in ("read", "write"):
            Scope.objects.create(name=f"extra{n}:{verb}", description="Extra things", api=api)
            names.append(f"extra{n}:{verb}")
    return names


@pytest.fixture(autouse=True)
def no_random_purge(monkeypatch):
    """The rate counters' table drops expired rows on one request in a thousand, at random: an
    extra statement that would make two identical requests count differently."""
    monkeypatch.setattr(ratecounters, "PURGE_PROBABILITY", 0)


def statements(send) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = send()
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


@pytest.fixture
def service(db):
    return ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )


def test_client_credentials_cost_does_not_grow_with_the_registry(client, service):
    def send(scope="colors:read"):
        return token_request(client, service, {"grant_type": "client_credentials", "scope": scope})

    send()  # warm: signing keys, registry snapshot
    small = statements(send)
    extra = grow_registry(30)
    send()  # this process re-reads the registry it was told changed
    large = statements(lambda: send(" ".join(["colors:read", *extra])))

    assert small == large
    # The client, its allow-list, the token, its audit event; 2 for the rate limiter on the
    # database cache and 2 for the test's own savepoint around the request's transaction.
    assert large <= 8


def test_code_exchange_cost_does_not_grow_with_the_scopes_asked(signed_in, app):
    def exchange(scope):
        code, verifier = get_code(signed_in, app, scope=scope, prompt="consent")
        return statements(lambda: redeem(signed_in, app, code, verifier))

    exchange("openid colors:read")  # warm: signing keys, registry snapshot
    small = exchange("openid profile colors:read")
    extra = grow_registry(10)
    exchange("openid colors:read")  # this process re-reads the registry it was told changed
    large = exchange(" ".join(["openid", "profile", "email", "colors:read", *extra]))

    assert small == large
    # The code's row is read once, locked, with its user, its sign-in record (amr) and its
    # sign-in session (the ID token's sid), and every later question about it is answered from
    # that row (validator_redemption.py); 1 re-reads the client's allow-list together with the
    # scopes the user's roles withhold; the ID token (without DOT's savepoint), the access and
    # refresh tokens, the family's tie to the session, the redeemed-code record, the consent's
    # last use and the audit event; the code is deleted from the row already read (2: its
    # sign-in record with it); 2 for the rate limiter on the database cache and 2 for the
    # test's savepoint. No savepoint around the tokens, no read-back for DOT's signal. On
    # PostgreSQL the six writes nothing reads back (the session tie, the redeemed code, the
    # consent, the audit event, the code's two deletes) go in one round trip
    # (compiled_writes.batched).
    assert large <= (11 if connection.vendor == "postgresql" else 16)


def test_refresh_cost_does_not_grow_with_the_family(client, signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    tokens = redeem(signed_in, app, code, verifier).json()

    def refresh():
        nonlocal tokens
        response = token_request(
            client, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        )
        tokens = response.json()
        return response

    refresh()
    early = statements(refresh)
    for _ in range(15):
        refresh()
    late = statements(refresh)

    assert early == late
    # The refresh token's rows are read once, locked, with its user, client and access token;
    # 1 re-reads the client's allow-list together with the scopes the user's roles withhold
    # (APIs that enforce roles), 1 finds the family's sign-in session (the ID token's sid)
    # together with the family's sign-in methods (amr); the ID token (no savepoint);
    # the old access token is deleted with its JWT record (2, no read-back: the refresh token's
    # link to it is nulled with the revocation) and the refresh token marked revoked on the row
    # already locked; the new pair, the consent's last use, the audit event; 2 for the rate
    # limiter on the database cache and 2 for the test's savepoint. On PostgreSQL the two
    # deletes (compiled_deletes), the refresh token's revocation, the consent's last use and the
    # audit event go in one round trip.
    assert late <= (12 if connection.vendor == "postgresql" else 16)


# Introspection reads the token once, with its client's id and its user's name, for DOT's fields
# and `sub` alike (introspection.py), and the user's roles for its `permissions` and `roles` (as
# they are now); on PostgreSQL the client, the token and the roles go in one round trip (one
# statement here, where the test's capture sends them as one text). Revocation reads an access
# token and its owner once, and revokes that row (revocation.py).
@pytest.mark.parametrize(
    "endpoint, most_postgresql, most_sqlite",
    [("/o/introspect/", 4, 6), ("/o/revoke_token/", 12, 12)],
)
def test_introspection_and_revocation_cost_does_not_grow_with_the_scopes(
    client, user, app, endpoint, most_postgresql, most_sqlite
):
    def send(scope):
        token = mint_access_token(user=user, app=app, scope=scope)
        return client.post(endpoint, {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id))

    send("colors:read")
    small = statements(lambda: send("colors:read"))
    extra = grow_registry(30)
    send("colors:read")  # this process re-reads the registry it was told changed
    large = statements(lambda: send(" ".join(["colors:read", *extra])))

    assert small == large
    assert large <= (most_postgresql if connection.vendor == "postgresql" else most_sqlite)


def test_the_access_token_stays_linked_to_its_id_token(signed_in, app):
    """The code exchange no longer re-reads the ID token it signed; the link must still be made
    (revoking the access token's family takes the ID token with it)."""
    from oauth2_provider.models import get_access_token_model

    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    tokens = redeem(signed_in, app, code, verifier).json()

    stored = get_access_token_model().objects.get(application=app)
    assert stored.id_token is not None
    claims = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[1] + "=="))
    assert str(stored.id_token.jti) == claims["jti"]


def rotated_family(client, app, generations: int) -> tuple[str, str, str]:
    """Redeem a fresh code, rotate its refresh token ``generations - 1`` times; return the
    code, its verifier and the family's latest refresh token."""
    code, verifier = get_code(client, app, prompt="consent", scope="colors:read")
    latest = redeem(client, app, code, verifier).json()["refresh_token"]
    for _ in range(generations - 1):
        response = token_request(
            client, app, {"grant_type": "refresh_token", "refresh_token": latest}
        )
        assert response.status_code == 200, response.content[:500]
        latest = response.json()["refresh_token"]
    return code, verifier, latest


def queries_to_answer_replay(client, app, code: str, verifier: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        replay = redeem(client, app, code, verifier)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_replaying_a_code_kills_a_long_rotated_family_in_as_many_queries_as_a_short_one(
    signed_in, app, settings
):
    """An attacker replaying a stolen code cannot make the server do work proportional to
    how long the victim's session has been refreshing (services.token_family_revoke must stay
    set-based, as DOT's revoke_family is for a replayed refresh token)."""
    # Rate-limit counters cost more queries on a window's first request than on the next ones.
    settings.PORTAL_RATELIMIT_ENABLE = False
    short = rotated_family(signed_in, app, 3)
    long = rotated_family(signed_in, app, 30)

    short_queries = queries_to_answer_replay(signed_in, app, *short[:2])
    long_queries = queries_to_answer_replay(signed_in, app, *long[:2])

    assert long_queries == short_queries
    for _code, _verifier, latest in (short, long):
        refresh = token_request(
            signed_in, app, {"grant_type": "refresh_token", "refresh_token": latest}
        )
        assert refresh.json()["error"] == "invalid_grant"
