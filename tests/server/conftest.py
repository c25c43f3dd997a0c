"""Fixtures the server's tests ask for by name."""

import pytest

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
