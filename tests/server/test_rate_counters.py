"""The rate-limit counters: cheap (one Redis round trip, or two SQL statements, per request),
atomic under concurrency, and forgotten when their window ends. A served request's volume goes
with the process's next read (``ratelimits.count_later``)."""

import threading
import time
import types
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from redis.connection import AbstractConnection

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import ratecounters, ratelimits, rates
from oauth_portal.server.models import RateCounter
from oauth_portal.server.ratelimits import first_exceeded_limit
from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth

COUNTER_TABLE = RateCounter._meta.db_table

# What one token request reads (failure limits) and counts (endpoint limits).
FAILURE_CHECKS = [
    ("client-auth-failure-ip", "10.0.0.1", "3/m"),
    ("client-auth-failure-client", "client-a", "3/m"),
]
ENDPOINT_CHECKS = [
    ("client-endpoint-ip", "10.0.0.1", "2400/m"),
    ("client-endpoint-client", "client-a", "1200/m"),
]


def token_request_limits(cache=None):
    """What ClientEndpointRateLimitMixin asks before a token request is handled."""
    return first_exceeded_limit(peek=FAILURE_CHECKS, count=ENDPOINT_CHECKS, cache=cache)


def failed_authentication(cache=None):
    """What ClientEndpointRateLimitMixin counts after a 401."""
    return first_exceeded_limit(count=FAILURE_CHECKS, cache=cache)


@pytest.fixture(autouse=True)
def no_random_purge(monkeypatch):
    """Statement counts must not depend on the 1-in-1000 purge; it has a test of its own."""
    monkeypatch.setattr(ratecounters, "PURGE_PROBABILITY", 0)


@pytest.fixture(autouse=True)
def database_counters(database_cache):
    """Count in the database unless a test asks for Redis (``redis_cache``)."""


@pytest.fixture(params=["database", "redis"])
def store(request):
    """Run a test on both counter stores; yields the cache to pass (None: the default)."""
    if request.param == "redis":
        return request.getfixturevalue("redis_cache")
    request.getfixturevalue("db")
    return None


def redis_round_trips():
    """Counts the commands (or pipelines) written to any Redis connection."""
    return mock.patch.object(
        AbstractConnection,
        "send_packed_command",
        autospec=True,
        side_effect=AbstractConnection.send_packed_command,
    )


def limiter_clock_stopped():
    """Stops the limiter's clock only, so that no window ends halfway through a test.

    Over HTTP, freezegun would also freeze the URLconf's lazy imports: C extensions imported
    under it (psycopg's) see its fake datetime class.
    """
    stopped = types.SimpleNamespace(time=lambda now=time.time(): now)
    return mock.patch.object(ratelimits, "time", stopped)


def token_request(client, app, secret=None, ip="10.0.0.1"):
    auth = basic_auth(app.client_id, secret) if secret else basic_auth(app.client_id)
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION=auth,
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def service_app(db):
    return ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")


# --- Database ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_request_costs_the_database_at_most_two_statements(
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(2) as queries:
        assert token_request_limits() is None

    assert all(COUNTER_TABLE in query["sql"] for query in queries.captured_queries)
    assert RateCounter.objects.count() == len(ENDPOINT_CHECKS)


@pytest.mark.django_db
def test_a_failed_client_authentication_costs_one_statement_more(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert failed_authentication() is None


def counter_statements(captured) -> int:
    return len([query for query in captured.captured_queries if COUNTER_TABLE in query["sql"]])


def client_volume(app) -> int:
    """What the counters hold of the client's volume (``client-requests``), in any window."""
    window = ratecounters.counter_window("client-requests", app.client_id, 60, time.time())
    row = RateCounter.objects.filter(key=window.name).first()
    return row.count if row else 0


@pytest.mark.django_db
def test_a_served_token_request_counts_its_volume_with_the_next_requests_read(client, service_app):
    with limiter_clock_stopped(), CaptureQueriesContext(connection) as first:
        assert token_request(client, service_app).status_code == 200
    assert counter_statements(first) == 1  # the read before it; nothing written after it
    assert client_volume(service_app) == 0

    with limiter_clock_stopped(), CaptureQueriesContext(connection) as second:
        assert token_request(client, service_app).status_code == 200
    assert counter_statements(second) == 2  # the first request's volume, then the read
    assert client_volume(service_app) == 1


@pytest.mark.django_db
def test_a_refused_token_request_is_counted_at_once(client, service_app):
    with CaptureQueriesContext(connection) as queries:
        assert token_request(client, service_app, secret="guess").status_code == 401

    assert counter_statements(queries) == 2  # the read before it, the failure after it
    failures = RateCounter.objects.filter(key__startswith="client-auth-failure")
    assert sorted(failures.values_list("count", flat=True)) == [1, 1]  # (client, address), address
    assert client_volume(service_app) == 0  # an unauthenticated request spends no volume


@pytest.mark.django_db
def test_with_limits_switched_off_nothing_is_counted(settings, django_assert_num_queries):
    settings.PORTAL_RATELIMIT_ENABLE = False
    with django_assert_num_queries(0):
        assert token_request_limits() is None
        assert failed_authentication() is None
    assert not RateCounter.objects.exists()


@pytest.mark.parametrize("rate", ["", "many", "5/w", "5/m/h", "/m", "5/0m", "1200/min"])
def test_a_malformed_rate_is_refused_as_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured):
        rates.parse_rate(rate)


@pytest.mark.parametrize(
    ("rate", "limit", "period"),
    [("30/m", 30, 60), ("1200/M", 1200, 60), ("5/10m", 5, 600), ("2/h", 2, 3600), ("9/", 9, 1)],
)
def test_rates_are_read_as_django_ratelimit_reads_them(rate, limit, period):
    assert rates.parse_rate(rate) == rates.Rate(limit=limit, period=period)


def count_in_thread(increments, window, now, counts: list[int], start: threading.Barrier):
    """Counts ``increments`` times on its own connection; SQLite's shared in-memory test
    database answers "table is locked" instead of waiting, so those attempts are retried."""
    try:
        start.wait()
        for _ in range(increments):
            while True:
                try:
                    counts.append(ratecounters.count([window], [], now=now)[window.name])
                    break
                except OperationalError as error:
                    if "locked" not in str(error):
                        raise
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_each_see_their_own_count_and_none_is_lost():
    threads_count, increments = 8, 25
    now = datetime.now(UTC).timestamp()
    window = ratecounters.counter_window("race", "10.0.0.9", 3600, now)
    counts: list[int] = []
    start = threading.Barrier(threads_count)
    threads = [
        threading.Thread(target=count_in_thread, args=(increments, window, now, counts, start))
        for _ in range(threads_count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(counts) == list(range(1, threads_count * increments + 1))
    assert RateCounter.objects.get(key=window.name).count == threads_count * increments


@pytest.mark.django_db
def test_expired_counters_are_purged_now_and_then(monkeypatch):
    monkeypatch.setattr(ratecounters, "PURGE_PROBABILITY", 1)
    with freeze_time(datetime.now(UTC)) as clock:
        first_exceeded_limit(count=[("sign-in-ip", "10.0.0.1", "5/m")])
        clock.tick(121)
        first_exceeded_limit(count=[("sign-in-ip", "10.0.0.2", "5/m")])
        still_counting = ratecounters.counter_window(
            "sign-in-ip", "10.0.0.2", 60, clock().timestamp()
        )

    assert list(RateCounter.objects.values_list("key", flat=True)) == [still_counting.name]


# --- Both stores ---------------------------------------------------------------------------------


def test_a_limited_client_may_retry_when_the_window_ends(store):
    checks = [("client-endpoint-client", "client-a", "3/m")]
    with freeze_time(datetime.now(UTC)) as clock:
        for _ in range(3):
            assert first_exceeded_limit(count=checks, cache=store) is None
        limited = first_exceeded_limit(count=checks, cache=store)
        assert limited.group == "client-endpoint-client"
        assert 1 <= limited.retry_after <= 60

        clock.tick(limited.retry_after - 1)
        assert first_exceeded_limit(count=checks, cache=store) is not None
        clock.tick(1)
        assert first_exceeded_limit(count=checks, cache=store) is None


def test_an_attacker_guessing_secrets_is_stopped_until_the_window_ends(store):
    with freeze_time(datetime.now(UTC)) as clock:
        for _ in range(3):
            assert token_request_limits(store) is None
            failed_authentication(store)
        blocked = token_request_limits(store)
        assert blocked.group == "client-auth-failure-ip"

        clock.tick(blocked.retry_after - 1)
        assert token_request_limits(store) is not None
        clock.tick(1)
        assert token_request_limits(store) is None


def test_failures_of_one_client_do_not_block_another(store):
    for _ in range(3):
        failed_authentication(store)
    other_client = [
        ("client-auth-failure-ip", "10.0.0.2", "3/m"),
        ("client-auth-failure-client", "client-b", "3/m"),
    ]
    assert first_exceeded_limit(peek=other_client, count=ENDPOINT_CHECKS, cache=store) is None


# --- Redis ---------------------------------------------------------------------------------------


def test_with_redis_a_token_request_costs_one_round_trip(redis_cache):
    # The pooled connection's handshake is not the limiter's: the cache keeps a connection of
    # its own per thread for single commands, and pipelines take one from the pool.
    assert token_request_limits(redis_cache) is None
    with redis_round_trips() as sent:
        assert token_request_limits(redis_cache) is None
    assert sent.call_count == 1

    with redis_round_trips() as sent:
        failed_authentication(redis_cache)
    assert sent.call_count == 1


def test_with_redis_a_server_that_lost_the_script_is_given_it_again(redis_cache):
    """A restarted Redis has no scripts: the next count loads it and still counts once."""
    with freeze_time(datetime.now(UTC)):
        token_request_limits(redis_cache)
        redis_cache._cache.get_client(write=True).script_flush()
        token_request_limits(redis_cache)

    client = redis_cache._cache.get_client(write=True)
    counts = [client.get(key) for key in client.keys("portal-tests:1:ratecount:*")]
    assert counts == [b"2"] * len(ENDPOINT_CHECKS)


def test_with_redis_counters_are_plain_integers_that_expire_with_their_window(redis_cache):
    with freeze_time(datetime.now(UTC)):
        token_request_limits(redis_cache)
        token_request_limits(redis_cache)

    client = redis_cache._cache.get_client(write=True)
    keys = client.keys("portal-tests:1:ratecount:*")
    assert len(keys) == len(ENDPOINT_CHECKS)
    for key in keys:
        assert client.get(key) == b"2"
        assert 0 < client.ttl(key) <= 60 + ratecounters.REDIS_EXPIRY_MARGIN_SECONDS


@pytest.mark.django_db
def test_with_redis_the_per_client_limit_is_enforced_over_http(
    redis_cache, client, service_app, settings
):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = "2/m"
    with limiter_clock_stopped():
        statuses = [
            token_request(client, service_app, ip=f"10.0.3.{n}").status_code for n in range(3)
        ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_with_redis_a_served_token_request_over_http_costs_one_round_trip(
    redis_cache, client, service_app
):
    assert token_request(client, service_app).status_code == 200  # connects, loads the script
    for _ in range(3):
        with redis_round_trips() as sent:
            assert token_request(client, service_app).status_code == 200
        assert sent.call_count == 1


@pytest.mark.django_db
def test_with_redis_guessing_a_secret_over_http_is_slowed_down(
    redis_cache, client, service_app, settings
):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "2/m"
    with limiter_clock_stopped():
        assert token_request(client, service_app, secret="guess").status_code == 401
        assert token_request(client, service_app, secret="guess").status_code == 401

        blocked = token_request(client, service_app)

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert blocked.json()["error"] == "rate_limited"
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RATE_LIMITED).count() == 1


@pytest.mark.django_db
def test_a_counter_listed_twice_in_one_call_counts_twice():
    """Two requests of one process may wait to be counted together (``count_later``)."""
    now = time.time()
    window = ratecounters.counter_window("client-requests", "client-a", 60, now)

    assert ratecounters.count([window, window], [], now=now) == {window.name: 2}
    assert ratecounters.count([window], [window], now=now) == {window.name: 3}
