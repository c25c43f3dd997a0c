"""Redis down is never a 500: rate limits count in the database meanwhile, and health says so.

The shared cache points at a port where nothing listens, as when Redis has stopped.
"""

import pytest
from django.test import Client

from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth

pytestmark = pytest.mark.django_db


def test_token_requests_are_served_and_still_limited_while_redis_is_down(redis_down, settings):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "3/h"
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    body = {"grant_type": "client_credentials", "scope": "colors:read"}

    def token(secret=None, address="10.0.0.1"):
        auth = basic_auth(app.client_id) if secret is None else basic_auth(app.client_id, secret)
        return Client().post("/o/token/", body, HTTP_AUTHORIZATION=auth, REMOTE_ADDR=address)

    assert token().status_code == 200
    assert [token("guess", "203.0.113.7").status_code for _ in range(4)] == [401] * 3 + [429]


def test_sign_in_works_while_redis_is_down(redis_down, user):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct-horse-battery"}
    )

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_health_reports_redis_down_as_degraded(redis_down, client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "reachable",
        "cache": "unreachable",
    }


def test_health_reports_a_working_redis(settings, client):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/14", socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/14",
        },
    }

    assert client.get("/healthz").json()["cache"] == "reachable"
