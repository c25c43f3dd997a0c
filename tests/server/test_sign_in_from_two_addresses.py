"""A stranger at another address cannot lock out a user or a client: driven over real sockets.

The whole of 127.0.0.0/8 is loopback, so the attacker's HTTP client binds 127.0.0.66 as its
source address and the server sees a different client from the owner at 127.0.0.1.
"""

import re

import pytest
import requests

from tests.factories import CLIENT_SECRET, ApplicationFactory, ScopeFactory, UserFactory
from tests.source_address import session_from

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ATTACKER_ADDRESS = "127.0.0.66"
OWNER_ADDRESS = "127.0.0.1"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def server(live_server, settings):
    # The live server speaks plain http; with debug off the cookies would be Secure.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    # An hour's window, so that no window ends in the middle of a test and splits its count.
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "30/h"
    return live_server.url.replace("localhost", "127.0.0.1")


def sign_in(session: requests.Session, server: str, username: str, password: str):
    page = session.get(f"{server}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{server}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{server}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )


def test_a_guesser_at_another_address_cannot_lock_the_user_out(server):
    UserFactory(username="alice")
    attacker, owner = session_from(ATTACKER_ADDRESS), session_from(OWNER_ADDRESS)

    guesses = [sign_in(attacker, server, "alice", f"guess-{n}").status_code for n in range(8)]
    response = sign_in(owner, server, "alice", PASSWORD)

    assert guesses == [200] * 4 + [429] * 4  # the guesser is cut off at its own address
    assert response.status_code == 302
    assert owner.get(f"{server}/accounts/", timeout=10, allow_redirects=False).status_code == 200


def test_wrong_secrets_from_another_address_do_not_shut_the_client_out(server):
    # A transactional test starts from empty tables: the scope the client asks for is made here.
    ScopeFactory(name="things:read")
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    attacker, owner = session_from(ATTACKER_ADDRESS), session_from(OWNER_ADDRESS)
    body = {"grant_type": "client_credentials", "scope": "things:read"}

    refused = [
        attacker.post(
            f"{server}/o/token/", data=body, auth=(app.client_id, "guess"), timeout=10
        ).status_code
        for _ in range(32)
    ]
    response = owner.post(
        f"{server}/o/token/", data=body, auth=(app.client_id, CLIENT_SECRET), timeout=10
    )

    assert refused[:30] == [401] * 30 and refused[30:] == [429, 429]
    assert response.status_code == 200
    assert "access_token" in response.json()
