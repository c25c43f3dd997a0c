import json

import pytest
from jwcrypto import jwk, jwt

from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db


def verify_id_token(client, id_token: str) -> dict:
    jwks = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    token = jwt.JWT(jwt=id_token, key=jwks, algs=["RS256"])
    return json.loads(token.claims)


def test_whole_flow_sign_in_consent_token_api_refresh(client, user, app):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302

    code, verifier = get_code(client, app)
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert set(tokens["scope"].split()) == {
        "openid",
        "profile",
        "email",
        "colors:read",
        "colors:write",
    }

    claims = verify_id_token(client, tokens["id_token"])
    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == app.client_id
    assert claims["iss"] == "http://testserver/o"
    assert claims["nonce"] == "n-0S6_WzA2Mj"

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    info = client.get("/o/userinfo/", **bearer).json()
    assert info["email"] == "alice@example.test"
    assert info["preferred_username"] == "alice"

    created = client.post(
        "/api/colors/", {"name": "Sky", "hex": "#3366FF"}, content_type="application/json", **bearer
    )
    assert created.status_code == 201, created.content
    listed = client.get("/api/colors/", **bearer).json()
    assert [(c["name"], c["hex"]) for c in listed] == [("Sky", "#3366ff")]

    refreshed = client.post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": "test-client-secret-that-is-long-enough-0123456789",
        },
    )
    assert refreshed.status_code == 200, refreshed.content
    new_tokens = refreshed.json()
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    assert (
        client.get(
            "/api/colors/", HTTP_AUTHORIZATION=f"Bearer {new_tokens['access_token']}"
        ).status_code
        == 200
    )
    # The rotated-out access token stops working.
    assert client.get("/api/colors/", **bearer).status_code == 401
