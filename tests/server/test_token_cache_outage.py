"""Redis down is slower bearer checks, never a 500: the token cache failing sends every check to
the database (which holds the truth), and the operator gets one warning, not one per request."""

import logging

import pytest
from django.test import override_settings

from oauth_portal.server import bearer, registry
from oauth_portal.server.models import ApiResource
from tests.oauth_helpers import basic_auth, get_code, mint_access_token, redeem

pytestmark = pytest.mark.django_db
COLORS = "https://api.example.test/colors"
NOBODY_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The token cache points at a Redis where nothing listens (connection refused)."""
    # Each test starts as a fresh process would: not warned yet.
    if hasattr(bearer, "outage_warning"):
        monkeypatch.setattr(bearer.outage_warning, "_last", None)
    caches = {
        **settings.CACHES,
        "tokens": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": NOBODY_LISTENS,
        },
    }
    # override_settings resets the cache handlers, and restores them before the suite's own
    # teardown clears the token cache.
    with override_settings(CACHES=caches, PORTAL_TOKEN_CACHE="tokens"):
        yield


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


def revoke(client, app, token):
    return client.post(
        "/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )


def outage_warnings(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "oauth_portal.server.bearer" and r.levelname == "WARNING"
    ]


def test_an_opaque_token_is_checked_against_the_database_while_redis_is_down(
    client, user, app, redis_down, caplog
):
    token = mint_access_token(user=user, app=app, scope="colors:read")

    assert api_get(client, token).status_code == 200
    assert api_get(client, token).status_code == 200
    assert revoke(client, app, token).status_code == 200  # the tombstone cannot be written
    response = api_get(client, token)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert len(outage_warnings(caplog)) == 1


@pytest.fixture
def jwt_access_token(signed_in, app):
    ApiResource.objects.filter(identifier=COLORS).update(
        access_token_format=ApiResource.TokenFormat.JWT
    )
    registry.forget()
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    token = redeem(signed_in, app, code, verifier).json()["access_token"]
    assert token.count(".") == 2
    return token


def test_a_jwt_is_checked_against_the_database_while_redis_is_down(
    client, app, jwt_access_token, redis_down, caplog
):
    assert api_get(client, jwt_access_token).status_code == 200
    assert revoke(client, app, jwt_access_token).status_code == 200
    response = api_get(client, jwt_access_token)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert len(outage_warnings(caplog)) == 1


def test_userinfo_works_while_redis_is_down(client, signed_in, app, redis_down):
    code, verifier = get_code(signed_in, app, scope="openid profile")
    token = redeem(signed_in, app, code, verifier).json()["access_token"]

    response = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["preferred_username"] == "alice"
