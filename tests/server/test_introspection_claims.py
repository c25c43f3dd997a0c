"""Introspection answers with the claims a gateway checks a JWT for: `sub`, `iss`, `aud`."""

import pytest

from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, get_code, redeem, token_request

pytestmark = pytest.mark.django_db
COLORS = "https://api.example.test/colors"
ISSUER = "http://testserver/o"


def introspect(client, app, token):
    return client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    ).json()


def test_a_users_opaque_token_carries_sub_iss_and_aud(signed_in, app, user):
    code, verifier = get_code(signed_in, app, scope="openid colors:read", resource=COLORS)
    token = redeem(signed_in, app, code, verifier).json()["access_token"]

    answer = introspect(signed_in, app, token)

    assert answer["active"] is True
    assert answer["sub"] == str(user.pk)
    assert answer["iss"] == ISSUER
    assert answer["aud"] in (COLORS, [COLORS])


def test_a_client_credentials_token_has_the_client_as_its_subject(client):
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    token = token_request(
        client, app, {"grant_type": "client_credentials", "scope": "colors:read"}
    ).json()["access_token"]

    answer = introspect(client, app, token)

    assert answer["sub"] == app.client_id
    assert answer["iss"] == ISSUER
