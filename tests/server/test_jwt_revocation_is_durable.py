"""A revoked JWT access token stays revoked whatever happens to the caches in front of the
database: a flush, an eviction, or a cache filled on purpose by an attacker revoking their own
tokens. And a JWT the verifier cannot even parse is a 401, never a 500."""

import base64
import json
import secrets
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from oauth_portal.server.models import JwtAccessToken
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import basic_auth, get_code, redeem

pytestmark = pytest.mark.django_db
COLORS = "https://api.example.test/colors"


@pytest.fixture
def victim_jwt(signed_in, app, colors_uses_jwt):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    response = redeem(signed_in, app, code, verifier)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert token.count(".") == 2
    return token


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


def revoke(client, app, token):
    response = client.post(
        "/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 200


def assert_refused(response):
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def attacker_revokes_own_tokens(count: int) -> None:
    """What an attacker with a client of their own can do: have ``count`` JWT access tokens
    issued and revoke them all (each revocation used to write one cache entry)."""
    attacker = UserFactory(username="mallory")
    attacker_app = ApplicationFactory(user=attacker)
    expires = timezone.now() + timedelta(hours=1)
    model = get_access_token_model()
    rows = model.objects.bulk_create(
        model(
            user=attacker,
            application=attacker_app,
            scope="colors:read",
            expires=expires,
            token_checksum=secrets.token_hex(32),
        )
        for _ in range(count)
    )
    JwtAccessToken.objects.bulk_create(
        JwtAccessToken(access_token=row, jti=secrets.token_urlsafe(24), expires=expires)
        for row in rows
    )
    model.objects.filter(application=attacker_app).delete()


def test_a_revoked_jwt_stays_refused_after_every_cache_is_cleared(client, app, victim_jwt):
    assert api_get(client, victim_jwt).status_code == 200
    revoke(client, app, victim_jwt)

    caches["tokens"].clear()  # Redis FLUSHALL, a restart without persistence, an eviction
    caches["default"].clear()

    assert_refused(api_get(client, victim_jwt))


def test_a_revoked_jwt_stays_refused_when_the_token_cache_was_filled_by_an_attacker(
    client, app, victim_jwt
):
    """The token cache evicts its oldest entries when full, as Redis does under maxmemory."""
    assert api_get(client, victim_jwt).status_code == 200
    revoke(client, app, victim_jwt)

    attacker_revokes_own_tokens(500)

    assert_refused(api_get(client, victim_jwt))


def test_a_revoked_jwt_stays_refused_without_redis_when_the_database_cache_is_full(
    client, app, victim_jwt, settings
):
    """Without Redis the token cache is the database cache: 300 entries, a third culled when
    full. Revocation must not live there."""
    settings.PORTAL_TOKEN_CACHE = "default"
    settings.PORTAL_BEARER_CACHE_SECONDS = 0
    assert api_get(client, victim_jwt).status_code == 200
    revoke(client, app, victim_jwt)

    attacker_revokes_own_tokens(1500)

    assert_refused(api_get(client, victim_jwt))


def test_a_live_jwt_still_needs_no_token_query_once_checked(
    client, victim_jwt, django_assert_num_queries
):
    api_get(client, victim_jwt)  # checks the token once, reads the signing keys

    with django_assert_num_queries(1):  # the colors themselves
        assert api_get(client, victim_jwt).status_code == 200


def test_a_live_jwt_works_again_after_the_cache_is_cleared(client, victim_jwt):
    assert api_get(client, victim_jwt).status_code == 200
    caches["tokens"].clear()

    assert api_get(client, victim_jwt).status_code == 200


# --- Hostile JWTs ---------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_deeply_nested_jwt_header_is_invalid_token_not_a_server_error(client, victim_jwt):
    _header, payload, signature = victim_jwt.split(".")
    token = f"{b64(b'[' * 100_000)}.{payload}.{signature}"

    response = api_get(client, token)

    assert_refused(response)
    assert response.json()["error"] == "invalid_token"


def test_a_jwt_whose_header_is_not_an_object_is_invalid_token(client, victim_jwt):
    _header, payload, signature = victim_jwt.split(".")
    token = f"{b64(json.dumps(['RS256']).encode())}.{payload}.{signature}"

    assert_refused(api_get(client, token))
