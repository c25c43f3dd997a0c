"""Racing requests for one code or one refresh token: exactly one wins, never a 500.

The protocol rule (docs/protocol.md): when several requests race to redeem one code or one
refresh token, exactly one wins and the others get invalid_grant, never a 500, on SQLite as on
PostgreSQL. Each
database gets one real gunicorn (4 worker processes x 2 threads, so all 8 racers are served at
once, rate limits on) on a fresh migrated database; 8 threads released by a barrier send the
same request.

What the server guarantees: the token view runs in one transaction (IMMEDIATE on SQLite, which
queues writers at BEGIN) and ``PortalOAuth2Validator`` locks the code's (or refresh token's)
row first (PostgreSQL), so the racers queue behind one winner. Each loser then finds the code
redeemed (or the refresh token rotated): that is a replay, so it gets ``invalid_grant`` *and*
revokes what the winner just received. After a race the whole family is therefore dead: one
token response was sent, and none of its tokens works any more.

Row locks, not luck: with the code lock removed, PostgreSQL answers 500 (unique violation on
``RedeemedCode``); without the refresh-token lock, 500s too; with SQLite's default DEFERRED
transactions, 500 "database is locked".

The last test runs in-process: detecting a reused refresh token costs the same number of queries
for a family of 3 as for a family of 30.
"""

from dataclasses import dataclass

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from tests.concurrency.protocol import (
    RACERS,
    Answer,
    browser_signed_in,
    checksum,
    client_recently_used,
    code_issue,
    colors,
    race,
    redeem,
    refresh,
    tokens_issue,
)
from tests.concurrency.servers import (
    VENDOR_FIXTURES,
    Database,
    server_start,
)
from tests.gunicorn_servers import Server, server_stop
from tests.oauth_helpers import get_code, token_request
from tests.oauth_helpers import redeem as redeem_in_process

AccessToken, RefreshToken = get_access_token_model(), get_refresh_token_model()


@dataclass
class Deployment:
    database: Database
    server: Server
    browser: requests.Session

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module", params=list(VENDOR_FIXTURES))
def deployment(request, log_dir) -> Deployment:
    database = request.getfixturevalue(VENDOR_FIXTURES[request.param])
    server = server_start(database, log_dir, workers=4, threads=2)
    request.addfinalizer(lambda: server_stop(server))
    return Deployment(database, server, browser_signed_in(server.url))


@pytest.fixture
def no_server_errors(deployment):
    """Fail the test if the server logged a traceback while it ran (a 500 hidden by a retry,
    an exception in a thread)."""
    log_start = deployment.server.log_size()
    yield
    written = deployment.server.log_since(log_start)
    assert "Traceback" not in written, written[-4000:]


# --- What the tests read back ---------------------------------------------------------------


def assert_exactly_one_wins(answers: list[Answer]) -> dict:
    """One 200, every other answer 400 invalid_grant, no 5xx; returns the winner's body."""
    summary = sorted((answer.status, answer.error) for answer in answers)
    print(f"{RACERS} racers answered: {summary}")
    assert not [answer for answer in answers if answer.status >= 500], answers
    winners = [answer for answer in answers if answer.status == 200]
    losers = [(answer.status, answer.error) for answer in answers if answer.status != 200]
    assert len(winners) == 1, summary
    assert losers == [(400, "invalid_grant")] * (RACERS - 1), summary
    return winners[0].body


def family_state(database: Database, refresh_token: str) -> dict:
    """The rows of the token family ``refresh_token`` belongs to, counted in the database."""
    family = "SELECT token_family FROM oauth2_provider_refreshtoken WHERE token_checksum = %s"
    [(refresh_tokens, live)] = database.rows(
        "SELECT COUNT(*), COUNT(*) - COUNT(revoked) FROM oauth2_provider_refreshtoken "
        f"WHERE token_family IN ({family})",
        (checksum(refresh_token),),
    )
    [(access_tokens,)] = database.rows(
        "SELECT COUNT(*) FROM oauth2_provider_accesstoken WHERE source_refresh_token_id IN "
        f"(SELECT id FROM oauth2_provider_refreshtoken WHERE token_family IN ({family})) "
        "OR id IN (SELECT access_token_id FROM oauth2_provider_refreshtoken "
        f"WHERE token_family IN ({family}))",
        (checksum(refresh_token),) * 2,
    )
    state = {"refresh_tokens": refresh_tokens, "live": live, "access_tokens": access_tokens}
    print(f"token family: {state}")
    return state


def access_token_rows(database: Database, access_token: str) -> int:
    [(count,)] = database.rows(
        "SELECT COUNT(*) FROM oauth2_provider_accesstoken WHERE token_checksum = %s",
        (checksum(access_token),),
    )
    return count


def audit_events(database: Database, event_type: str) -> int:
    [(count,)] = database.rows(
        "SELECT COUNT(*) FROM portal_audit_auditevent WHERE type = %s", (event_type,)
    )
    return count


def assert_refused_by_api(server_url: str, access_token: str) -> None:
    response = colors(server_url, access_token)
    assert response.status_code == 401, response.text[:500]
    assert 'error="invalid_token"' in response.headers.get("WWW-Authenticate", "")


def assert_refresh_refused(server_url: str, refresh_token: str) -> None:
    response = refresh(server_url, refresh_token)
    assert (response.status_code, response.json().get("error")) == (400, "invalid_grant")


# --- Races against a live server ---------------------------------------------------------------


def test_racing_redemptions_of_one_code_give_exactly_one_token_response(
    deployment, no_server_errors
):
    issued = code_issue(
        deployment.url, deployment.browser, redirect_uri=deployment.database.redirect_uri
    )
    replays_before = audit_events(deployment.database, "code.reused")
    client_recently_used(deployment.url)

    winner = assert_exactly_one_wins(race(lambda: redeem(deployment.url, issued)))

    # Every loser was a replay of a redeemed code (RFC 6749 §4.1.2) and revoked what the
    # winner got: the one family this code started is entirely dead, and nothing else exists.
    assert audit_events(deployment.database, "code.reused") - replays_before == RACERS - 1
    assert deployment.database.rows(
        "SELECT COUNT(*) FROM portal_server_redeemedcode WHERE code_checksum = %s",
        (checksum(issued.code),),
    ) == [(1,)]
    assert family_state(deployment.database, winner["refresh_token"]) == {
        "refresh_tokens": 1,
        "live": 0,
        "access_tokens": 0,
    }
    assert access_token_rows(deployment.database, winner["access_token"]) == 0
    assert_refused_by_api(deployment.url, winner["access_token"])
    assert_refresh_refused(deployment.url, winner["refresh_token"])


def test_racing_refreshes_of_one_token_give_exactly_one_token_response(
    deployment, no_server_errors
):
    first = tokens_issue(
        deployment.url, deployment.browser, redirect_uri=deployment.database.redirect_uri
    )
    reuses_before = audit_events(deployment.database, "token.refresh_reused")
    client_recently_used(deployment.url)

    winner = assert_exactly_one_wins(race(lambda: refresh(deployment.url, first["refresh_token"])))

    # One rotation happened (two generations, no token minted by a loser); each loser then
    # presented a rotated token, which is reuse: the family, winner's generation included, is
    # revoked and its access tokens deleted.
    assert winner["refresh_token"] != first["refresh_token"]
    assert audit_events(deployment.database, "token.refresh_reused") - reuses_before == RACERS - 1
    assert family_state(deployment.database, first["refresh_token"]) == {
        "refresh_tokens": 2,
        "live": 0,
        "access_tokens": 0,
    }
    assert_refused_by_api(deployment.url, first["access_token"])
    assert_refused_by_api(deployment.url, winner["access_token"])
    assert_refresh_refused(deployment.url, winner["refresh_token"])


def test_reused_code_revokes_tokens_from_first_redemption(deployment, no_server_errors):
    issued = code_issue(
        deployment.url, deployment.browser, redirect_uri=deployment.database.redirect_uri
    )
    first = redeem(deployment.url, issued)
    assert first.status_code == 200, first.text[:500]
    tokens = first.json()
    assert colors(deployment.url, tokens["access_token"]).status_code == 200

    second = redeem(deployment.url, issued)

    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")
    assert_refused_by_api(deployment.url, tokens["access_token"])
    assert_refresh_refused(deployment.url, tokens["refresh_token"])
    assert family_state(deployment.database, tokens["refresh_token"])["live"] == 0


# --- The cost of detecting reuse (in-process) ------------------------------------------------


def family_of(client, app, generations: int) -> str:
    """Rotate a fresh family ``generations - 1`` times; return its first (stale) refresh token."""
    # The user's consent is stored after the first family; prompt=consent keeps the page.
    code, verifier = get_code(client, app, prompt="consent", scope="colors:read")
    first = redeem_in_process(client, app, code, verifier).json()["refresh_token"]
    current = first
    for _ in range(generations - 1):
        response = token_request(
            client, app, {"grant_type": "refresh_token", "refresh_token": current}
        )
        assert response.status_code == 200, response.content[:500]
        current = response.json()["refresh_token"]
    return first


def queries_to_detect_reuse(client, app, stale_refresh_token: str) -> list[str]:
    data = {"grant_type": "refresh_token", "refresh_token": stale_refresh_token}
    with CaptureQueriesContext(connection) as captured:
        response = token_request(client, app, data)
    assert response.json()["error"] == "invalid_grant"
    family = RefreshToken.objects.get(token_checksum=checksum(stale_refresh_token)).token_family
    assert not RefreshToken.objects.filter(token_family=family, revoked__isnull=True).exists()
    assert not AccessToken.objects.filter(source_refresh_token__token_family=family).exists()
    return [query["sql"] for query in captured.captured_queries]


def test_refresh_reuse_revokes_a_family_in_queries_independent_of_its_length(
    signed_in, app, settings
):
    # Rate-limit counters cost more queries on a window's first request than on the next ones.
    settings.PORTAL_RATELIMIT_ENABLE = False
    short, long = family_of(signed_in, app, 3), family_of(signed_in, app, 30)

    short_queries = queries_to_detect_reuse(signed_in, app, short)
    long_queries = queries_to_detect_reuse(signed_in, app, long)

    assert len(long_queries) == len(short_queries), "\n".join(
        ["family of 3:", *short_queries, "family of 30:", *long_queries]
    )
