"""The Redis cache backend keeps one client (and connection) per thread, and is otherwise
Django's."""

import os
import threading
import warnings
from unittest import mock

import pytest
import redis
from django.core.cache.backends.base import CacheKeyWarning
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from oauth_portal.server.redis_cache import RedisCache

REDIS_TEST_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("needs Redis at 127.0.0.1:6379 (database 13)")
    cache = RedisCache(REDIS_TEST_URL, {"KEY_PREFIX": "client-reuse-tests"})
    cache.clear()
    yield cache
    cache.clear()


def test_every_operation_uses_the_same_client(cache):
    """The fixture's ``clear`` made this thread's client; no operation makes another."""
    with mock.patch.object(redis.Redis, "__init__", side_effect=AssertionError("new client")):
        cache.set("colour", {"name": "teal"}, 30)
        for _ in range(5):
            assert cache.get("colour") == {"name": "teal"}
        assert cache.add("other", 1, 30)
        cache.delete("colour")
        assert cache.get("colour") is None
    assert cache._cache.get_client(write=False) is cache._cache.get_client(write=True)


def test_it_is_still_djangos_redis_cache_with_the_same_keys(cache):
    plain = DjangoRedisCache(REDIS_TEST_URL, {"KEY_PREFIX": "client-reuse-tests"})
    cache.set("shared", [1, 2, 3], 30)
    assert isinstance(cache, DjangoRedisCache)
    assert plain.get("shared") == [1, 2, 3]


def test_each_thread_gets_its_own_client_and_its_own_answers(cache):
    answers, clients = {}, []

    def work(n):
        clients.append(cache._cache.get_client())  # kept alive: a freed client's id is reused
        cache.set(f"key-{n}", n, 30)
        answers[n] = [cache.get(f"key-{n}") for _ in range(20)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {n: [n] * 20 for n in range(8)}
    assert len({id(client) for client in clients}) == 8


def test_a_dropped_connection_reconnects_on_the_next_command(cache):
    cache.set("kept", 1, 30)
    cache._cache.get_client().connection.disconnect()

    assert cache.get("kept") == 1


def test_a_redis_that_is_down_raises_to_the_caller_and_is_used_again_once_up():
    down = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    with pytest.raises(redis.exceptions.ConnectionError):
        down.get("anything")
    with pytest.raises(redis.exceptions.ConnectionError):
        down.get("anything")


def test_a_forked_worker_opens_connections_of_its_own(cache):
    """gunicorn forks workers: a child must never use its parent's connection (replies could
    cross), so it makes a client of its own."""
    cache.set("before-fork", 1, 30)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            inherited = cache._cache._local.clients[0]
            fresh = cache._cache.get_client() is not inherited
            os.write(write, b"ok" if fresh and cache.get("before-fork") == 1 else b"no")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 2) == b"ok"
    assert cache.get("before-fork") == 1


def test_a_connection_the_server_closed_is_opened_again_for_the_same_get(cache):
    """A restarted Redis (or one that timed the idle connection out) closes it from its side:
    the next ``get`` finds out only when it reads, and must still answer."""
    cache.set("kept", {"live": True}, 30)
    assert cache.get("kept") == {"live": True}
    own_id = cache._cache.get_client().client_id()
    redis.Redis.from_url(REDIS_TEST_URL).client_kill_filter(_id=own_id)

    assert cache.get("kept") == {"live": True}
    assert cache._cache.get_client().client_id() != own_id


def test_it_reads_what_djangos_backend_writes_integers_included(cache):
    plain = DjangoRedisCache(REDIS_TEST_URL, {"KEY_PREFIX": "client-reuse-tests"})
    plain.set("entry", {"token": {"id": 7}, "user": None}, 30)
    plain.set("counter", 41, 30)
    plain.incr("counter")
    plain.set("text", "revoked", 30)

    assert cache.get("entry") == {"token": {"id": 7}, "user": None}
    assert cache.get("counter") == 42
    assert cache.get("text") == "revoked"
    assert cache.get("missing", "default") == "default"


def test_keys_memcached_would_refuse_still_warn(cache):
    with pytest.warns(CacheKeyWarning):
        cache.get("has a space")
    with pytest.warns(CacheKeyWarning):
        cache.get("x" * 300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.get("bearer-jwt:" + "a" * 32)
