"""Our Redis cache backend keeps one client object per pool and is otherwise Django's."""

import threading

import pytest
import redis

from oauth_portal.server.redis_cache import RedisCache

REDIS_TEST_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("needs Redis at 127.0.0.1:6379 (database 13)")
    backend = RedisCache(REDIS_TEST_URL, {"KEY_PREFIX": "redis-cache-tests"})
    yield backend
    backend.delete_many(["entry", "counter"])


def test_every_call_reuses_the_same_client(cache):
    first = cache._cache.get_client(write=True)

    cache.set("entry", {"a": 1})

    assert cache._cache.get_client(write=True) is first
    assert cache._cache.get_client("entry") is first  # one server: reads use the same pool


def test_values_round_trip_as_with_djangos_backend(cache):
    cache.set("entry", {"scope": "colors:read"}, timeout=30)
    cache.set("counter", 1)

    assert cache.get("entry") == {"scope": "colors:read"}
    assert cache.incr("counter") == 2
    assert cache.add("entry", "other") is False


def test_threads_share_the_client_safely(cache):
    cache.set("counter", 0)
    errors = []

    def bump():
        try:
            for _ in range(50):
                cache.incr("counter")
        except Exception as exc:  # noqa: BLE001 - any failure in a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert cache.get("counter") == 200
