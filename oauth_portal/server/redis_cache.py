"""Django's Redis cache, with one Redis client per thread holding its own connection, instead of
a new client borrowing from the pool on every call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache operation,
and ``redis.Redis.__init__`` copies its table of response callbacks each time (about 0.1 ms of
CPU); each command then takes a connection from the pool and gives it back, checking the socket
and dispatching events both ways (about 0.05 ms more). Every bearer check makes one such call,
and a ``GET`` costs Redis far less than that. So each thread keeps one client per server, with a
connection of its own (``single_connection_client``):

- the connection is never shared: one client per thread, made again in a forked process (a
  gunicorn worker never uses its master's socket), so replies cannot cross;
- a broken connection reconnects on the next command, as a pooled one does, and a failure still
  raises to the caller (``cache_breaker`` and the rate limiter's fallback see it as before);
- when a thread ends, its client returns the connection to the pool.

A ``GET`` (every bearer check's) and the rate counters' script go further: each is written and
read on that connection directly (``execute``), without redis-py's command machinery around it
(argument filtering, the retry wrapper, the response-callback lookup), which cost the worker
more CPU than the socket calls themselves; a connection that broke since its last command (a
restarted Redis) is opened again and the command sent once more. A value read is unpickled
without first being tried as an integer (Django stores integers as digits, for ``INCR``; a
pickle always opens with the byte 0x80), and a key is checked at C speed (``validate_key``).

Keys, serializer, pools and timeouts are Django's. Use it as
``"BACKEND": "oauth_portal.server.redis_cache.RedisCache"``; it is a subclass of Django's, so
``isinstance(cache, RedisCache)`` with Django's class still holds.
"""

import os
import pickle
import threading

from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import MEMCACHE_MAX_KEY_LENGTH
from redis.exceptions import ConnectionError as RedisConnectionError

PICKLE_PROTO = b"\x80"  # the first opcode of every pickle from protocol 2 on


class RedisSerializer(django_redis.RedisSerializer):
    def loads(self, data):
        if data[:1] == PICKLE_PROTO:
            return pickle.loads(data)  # noqa: S301 - only what this cache's dumps wrote
        return super().loads(data)


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self._serializer) is django_redis.RedisSerializer:
            self._serializer = RedisSerializer(self._serializer.protocol)
        self._local = threading.local()
        self._pools_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        # Which server as Django chooses it: reads may go to a replica.
        index = self._get_connection_pool_index(write)
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.pid, local.clients = os.getpid(), {}
        client = local.clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._pool(index), single_connection_client=True)
            local.clients[index] = client
        return client

    def get(self, key, default):
        value = execute(self.get_client(key), "GET", key)
        return default if value is None else self._serializer.loads(value)

    def _pool(self, index: int):
        """Django's ``_get_connection_pool`` picks the index itself; this takes it."""
        with self._pools_lock:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            return self._pools[index]


def execute(client, *args):
    """``client.execute_command(*args)`` for a command whose raw reply is the answer (``GET``,
    ``EVALSHA``), written and read on the client's own connection when it has one (this
    module's clients do). A connection found broken (a restarted Redis) is opened again and
    the command sent once more; redis-py's default retry would try three times with backoff,
    which a request should not wait for when Redis is really down (the caller falls back). A
    script that ran before its connection broke could run twice: one extra count."""
    connection = client.connection
    if connection is None:
        return client.execute_command(*args)
    try:
        return _send_and_read(connection, args)
    except RedisConnectionError:
        return _send_and_read(connection, args)


def _send_and_read(connection, args):
    # redis-py disconnects the connection on any failure, so no reply is left for the next one.
    connection.send_command(*args)
    return connection.read_response()


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def validate_key(self, key):
        """Django's check warns about keys memcached would refuse, one character at a time in
        Python; a short printable ASCII key without spaces passes it, and is passed here at C
        speed. Any other key gets Django's check and its warning."""
        if len(key) <= MEMCACHE_MAX_KEY_LENGTH and key.isascii() and key.isprintable():
            if " " not in key:
                return
        super().validate_key(key)
