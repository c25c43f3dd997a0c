"""The sample Colors API: RFC 6750 answers for every way a bearer token can be wrong, colors
kept per user, and 400s with field errors for bad input."""

import json

import pytest

from apis.models import Color
from tests.factories import UserFactory
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post_color(client, token, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(
        "/api/colors/",
        body,
        content_type=extra.pop("content_type", "application/json"),
        **bearer(token),
        **extra,
    )


@pytest.fixture
def read_write_token(user, app):
    return mint_access_token(user=user, app=app, scope="colors:read colors:write")


def test_no_token_is_401_with_bare_bearer_challenge(client):
    response = client.get("/api/colors/")
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert "error=" not in challenge


@pytest.mark.parametrize("token", ["made-up-token", "x" * 5000])
def test_unknown_token_is_401_invalid_token(client, token):
    response = client.get("/api/colors/", **bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json()["error"] == "invalid_token"


def test_malformed_authorization_header_is_401(client):
    response = client.get("/api/colors/", HTTP_AUTHORIZATION="Bearer a b c")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401_invalid_token(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read", expires_in=-10)
    response = client.get("/api/colors/", **bearer(token))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_token_in_query_string_is_not_accepted(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert client.get(f"/api/colors/?access_token={token}").status_code == 401


def test_missing_scope_is_403_insufficient_scope_naming_the_scope(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    response = post_color(client, token, {"name": "Sky", "hex": "#3366ff"})
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="colors:write"' in challenge
    assert response.json()["scope"] == "colors:write"
    assert Color.objects.count() == 0


def test_reading_needs_colors_read(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:write")
    response = client.get("/api/colors/", **bearer(token))
    assert response.status_code == 403
    assert 'scope="colors:read"' in response["WWW-Authenticate"]


def test_colors_belong_to_the_user_who_granted_the_token(client, user, app, read_write_token):
    other = UserFactory(username="bob")
    Color.objects.create(owner=other, name="Bob's red", hex="#ff0000")
    assert (
        post_color(client, read_write_token, {"name": "Sky", "hex": "#3366FF"}).status_code == 201
    )

    listed = client.get("/api/colors/", **bearer(read_write_token)).json()
    assert [c["name"] for c in listed] == ["Sky"]
    assert Color.objects.get(name="Sky").owner == user


def test_token_without_user_is_refused(client, app):
    token = mint_access_token(user=None, app=app, scope="colors:read")
    response = client.get("/api/colors/", **bearer(token))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Sky", "hex": "blue"}, "hex"),
        ({"name": "Sky", "hex": "#12345"}, "hex"),
        ({"name": "Sky", "hex": "#gggggg"}, "hex"),
        ({"hex": "#123456"}, "name"),
        ({"name": "", "hex": "#123456"}, "name"),
        ({"name": "x" * 101, "hex": "#123456"}, "name"),
        ({"name": ["a"], "hex": "#123456"}, "name"),
        ({"name": "Sky", "hex": 123456}, "hex"),
    ],
)
def test_invalid_color_gets_400_with_field_errors(client, read_write_token, payload, field):
    response = post_color(client, read_write_token, payload)
    assert response.status_code == 400
    assert field in response.json()
    assert Color.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    ['{"name": "Sky", "hex": ', "not json", "[" * 5000 + "]" * 5000, '"just a string"', "[]"],
)
def test_malformed_json_gets_400(client, read_write_token, body):
    response = post_color(client, read_write_token, body)
    assert response.status_code == 400
    assert Color.objects.count() == 0


def test_wrong_content_type_gets_415(client, read_write_token):
    response = post_color(
        client,
        read_write_token,
        "name=Sky&hex=%23336699",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert Color.objects.count() == 0
