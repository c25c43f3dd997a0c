"""Fixtures the server's tests ask for by name."""

import pytest
import redis
from django.core.cache import caches

from oauth_portal.server import ratelimits, registry
from oauth_portal.server.models import ApiResource
from tests.factories import ApplicationFactory
from tests.oauth_helpers import get_code, redeem
from tests.server.logout_helpers import RETURN_URI

COLORS = "https://api.example.test/colors"
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def logout_app(db):
    return ApplicationFactory(post_logout_redirect_uris=RETURN_URI)


@pytest.fixture
def id_token(signed_in, logout_app):
    code, verifier = get_code(signed_in, logout_app, scope="openid")
    return redeem(signed_in, logout_app, code, verifier).json()["id_token"]


@pytest.fixture
def colors_uses_jwt(db):
    """The Colors API mints RFC 9068 JWT access tokens."""
    ApiResource.objects.filter(identifier=COLORS).update(
        access_token_format=ApiResource.TokenFormat.JWT
    )
    registry.forget()


@pytest.fixture
def jwt_tokens(signed_in, app, colors_uses_jwt):
    code, verifier = get_code(signed_in, app, scope="openid colors:read colors:write")
    response = redeem(signed_in, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def redis_down(settings):
    """The shared cache points at a port where nothing listens, as when Redis has stopped."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "oauth_portal.server.redis_cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    ratelimits.forget_client_rates()


# A Redis database of the tests' own, emptied before and after each test that uses it.
REDIS_TEST_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def database_cache(settings):
    """The default cache (and so the rate limits' counters) in the database, whether or not
    REDIS_URL is set."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        },
    }


@pytest.fixture
def redis_cache(settings):
    """The default cache (the rate limits' counters, the client memo's generation) on Redis
    database 13, emptied before and after."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("this test needs Redis at 127.0.0.1:6379 (it uses database 13)")
    # Assigning CACHES makes Django drop its cache connections (django.test.signals).
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "oauth_portal.server.redis_cache.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": "portal-tests",
        },
    }
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()
