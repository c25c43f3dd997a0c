"""DOT's ``app_authorized`` signal still names the access token each response carries, now that
the token view hands over the row the validator wrote instead of reading it back."""

import pytest
from oauth2_provider.signals import app_authorized

from oauth_portal.server.bearer import token_checksum
from tests.factories import ApplicationFactory
from tests.oauth_helpers import get_code, redeem, token_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def authorized():
    received = []

    def receiver(sender, request, token, **kwargs):
        # The row as a receiver sees it then: saved, with its id (DOT's receivers may link to it).
        token.pk_when_signalled = token.pk
        received.append(token)

    app_authorized.connect(receiver)
    yield received
    app_authorized.disconnect(receiver)


def test_each_grant_signals_the_token_it_issued(client, signed_in, app, authorized):
    service = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )
    issued = [
        token_request(client, service, {"grant_type": "client_credentials", "scope": "colors:read"})
    ]
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    issued.append(redeem(signed_in, app, code, verifier))
    refresh_token = issued[-1].json()["refresh_token"]
    issued.append(
        token_request(client, app, {"grant_type": "refresh_token", "refresh_token": refresh_token})
    )

    assert [response.status_code for response in issued] == [200, 200, 200]
    assert [token.token_checksum for token in authorized] == [
        token_checksum(response.json()["access_token"]) for response in issued
    ]
    assert all(token.pk_when_signalled for token in authorized)


def test_a_refused_request_signals_nothing(client, app, authorized):
    response = token_request(client, app, {"grant_type": "refresh_token", "refresh_token": "x"})

    assert response.status_code == 400
    assert authorized == []
