"""A shared cache that fails is left alone for a few seconds (a hanging Redis costs each call
its timeout): bearer checks and rate limits go straight to the database meanwhile and answer as
before, a revocation still tries its tombstone, and the cache is used again afterwards."""

import time

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings
from redis.exceptions import TimeoutError as RedisTimeout

from oauth_portal.server import bearer, cache_breaker, ratecounters
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db


class FlakyCache(LocMemCache):
    """A local cache that can be made to fail like a Redis timing out; counts the calls."""

    down = False
    calls = 0

    def _call(self, method, *args, **kwargs):
        FlakyCache.calls += 1
        if FlakyCache.down:
            raise TimeoutError("Timeout reading from socket")
        return getattr(super(), method)(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)


@pytest.fixture
def flaky_cache(settings):
    FlakyCache.down, FlakyCache.calls = False, 0
    caches = {
        **settings.CACHES,
        "tokens": {"BACKEND": "tests.server.test_cache_breaker.FlakyCache", "LOCATION": "flaky"},
    }
    with override_settings(CACHES=caches, PORTAL_TOKEN_CACHE="tokens"):
        yield FlakyCache
    FlakyCache.down = False


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


@override_settings(PORTAL_BEARER_CACHE_SECONDS=60)
def test_after_a_failure_bearer_checks_skip_the_cache_and_still_answer(
    client, user, app, flaky_cache
):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    flaky_cache.down = True

    assert api_get(client, token).status_code == 200  # one call fails
    calls_after_failure = flaky_cache.calls
    assert [api_get(client, token).status_code for _ in range(3)] == [200, 200, 200]

    assert flaky_cache.calls == calls_after_failure


@override_settings(PORTAL_BEARER_CACHE_SECONDS=60)
def test_a_revocation_still_writes_its_tombstone_while_reads_skip_the_cache(
    client, user, app, flaky_cache
):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    flaky_cache.down = True
    assert api_get(client, token).status_code == 200
    flaky_cache.down = False  # back for the other hosts, still skipped for reads here
    assert cache_breaker.skipping(bearer.token_cache())

    response = client.post(
        "/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )

    assert response.status_code == 200
    key = f"bearer:{bearer.token_checksum(token)}"
    assert LocMemCache.get(bearer.token_cache(), key) == bearer.TOMBSTONE
    assert api_get(client, token).status_code == 401


@override_settings(PORTAL_BEARER_CACHE_SECONDS=60)
def test_the_cache_is_used_again_once_the_pause_is_over(
    client, user, app, flaky_cache, monkeypatch
):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    flaky_cache.down = True
    assert api_get(client, token).status_code == 200
    flaky_cache.down = False
    monkeypatch.setattr(cache_breaker, "SKIP_SECONDS", 0.0)
    cache_breaker.failed(bearer.token_cache())  # a failure whose pause is already over
    calls = flaky_cache.calls

    assert api_get(client, token).status_code == 200

    assert flaky_cache.calls > calls


def test_after_a_redis_failure_rate_limits_count_in_the_database_without_asking_it(monkeypatch):
    asked = []

    def hanging(self, increments, peeks):
        asked.append(1)
        raise RedisTimeout("Timeout reading from socket")

    monkeypatch.setattr(ratecounters.RedisCounters, "count", hanging)
    redis = RedisCache("redis://127.0.0.1:1/0", {})
    now = time.time()
    window = ratecounters.counter_window("breaker", "10.0.0.7", 60, now)

    counts = [ratecounters.count([window], [], now=now, cache=redis)[window.name] for _ in range(3)]

    assert counts == [1, 2, 3]  # counted in the database, every time
    assert len(asked) == 1
