"""Django's Redis cache, with one ``redis.Redis`` client per connection pool, not one per call.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache operation, and building
one fills its table of some 160 response callbacks: measured here, about 0.4 ms of CPU per call,
more than the round trip it then makes, and a token request makes two (the rate limiter's read
and write). A ``redis.Redis`` is safe to share between threads (each command borrows a connection
from the pool), so each cache keeps one per pool. Everything else is Django's backend: the same
options, keys, serialisation and failure behaviour. ``BACKEND`` for a site's CACHES:
``"oauth_portal.server.redis_cache.RedisCache"``.
"""

from django.core.cache.backends import redis as django_redis


class SharedClientRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
