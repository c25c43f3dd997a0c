"""Dependencies failing under load, against real servers: gunicorn (``deploy/gunicorn.conf.py``,
2 workers, as behind the TLS proxy) on a private PostgreSQL and a private Redis that the tests
stop and start while four threads send token requests, introspection, ``/api/colors/`` calls
and sign-in page views, and a fifth polls ``/health/ready``.

- Redis gone: nothing fails (limits and bearer checks use the database), readiness says
  "degraded" with a 200 meanwhile and "ok" again after.
- Redis paused (calls hang until their timeout): nothing fails and the workers keep serving.
- PostgreSQL gone and back: what fails is a clean 503 with Retry-After in the endpoint's format,
  never a 500; readiness is 503 and names the database meanwhile; once it is back every request
  succeeds again within seconds, without restarting gunicorn.

Each test prints what it measured (``pytest -s``); docs/operations.md "When a dependency fails"
quotes it.
"""

import json
import secrets
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.gunicorn_servers import free_port, gunicorn_start, manage, server_stop
from tests.resilience.dependencies import (
    POSTGRES_BIN,
    REDIS_SERVER,
    Answer,
    Load,
    PrivatePostgres,
    PrivateRedis,
    wait_for,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "resilience-service", secrets.token_urlsafe(32)
WARM_UP = 1.5
OUTAGE = 3.0
# After PostgreSQL is back, how long until every request succeeds again (at most).
DATABASE_RECOVERY = 3.0

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
    pytest.mark.skipif(
        POSTGRES_BIN is None, reason="PostgreSQL server binaries (initdb, pg_ctl) not installed"
    ),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    directory = tmp_path_factory.mktemp("resilience")
    postgres, redis = PrivatePostgres(), PrivateRedis(directory)
    server = None
    try:
        postgres.create()
        redis.start()
        port = free_port()
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "oauth_portal.settings",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_BEHIND_TLS_PROXY": "1",
            "PORTAL_ISSUER": f"https://127.0.0.1:{port}/o",
            "DJANGO_LOG_FORMAT": "json",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            # The load comes from one address and one client: no limit may answer it.
            "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT": "100000/m",
            "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP": "100000/m",
        }
        manage(PROJECT_ROOT, environment, "migrate", "--noinput")
        manage(PROJECT_ROOT, environment, "collectstatic", "--noinput")
        manage(
            PROJECT_ROOT,
            environment,
            "createapplication",
            "confidential",
            "client-credentials",
            f"--name={CLIENT_ID}",
            f"--client-id={CLIENT_ID}",
            f"--client-secret={CLIENT_SECRET}",
        )
        user_token = manage(
            PROJECT_ROOT,
            environment,
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model\n"
            "from oauth2_provider.models import get_application_model\n"
            "from tests.oauth_helpers import mint_access_token\n"
            "user = get_user_model().objects.create_user('rosa', 'rosa@example.test')\n"
            f"app = get_application_model().objects.get(client_id={CLIENT_ID!r})\n"
            "print(mint_access_token(user=user, app=app, scope='colors:read'))",
        ).splitlines()[-1]
        server = gunicorn_start(
            "oauth_portal.wsgi:application",
            cwd=PROJECT_ROOT,
            env=environment,
            log_file=directory / "gunicorn.log",
            port=port,
            options=("-c", "deploy/gunicorn.conf.py"),
            health_path="/health/live",
        )
        yield {
            "url": server.url,
            "user_token": user_token,
            "environment": environment,
            "directory": directory,
            "server": server,
            "postgres": postgres,
            "redis": redis,
        }
    finally:
        if server is not None:
            server_stop(server)
        redis.stop()
        postgres.destroy()


def readiness(url: str) -> requests.Response:
    return requests.get(f"{url}/health/ready", headers={"X-Forwarded-Proto": "https"}, timeout=10)


def describe(answers: list[Answer]) -> str:
    counts = Counter((a.kind, a.status) for a in answers)
    return ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(counts.items()))


def test_redis_stopped_under_load_fails_no_request_and_readiness_says_degraded(stack):
    url, redis = stack["url"], stack["redis"]
    with Load(url, CLIENT_ID, CLIENT_SECRET, stack["user_token"]) as load:
        time.sleep(WARM_UP)
        stopped = time.monotonic()
        redis.stop()
        time.sleep(OUTAGE)
        started = time.monotonic()
        redis.start()
        time.sleep(WARM_UP)
    ended = time.monotonic()
    answers = load.requests.between(0, ended)
    print(f"\nRedis down {started - stopped:.1f}s under load: {describe(answers)}")

    failed = [a for a in answers if a.status != 200]
    assert not failed, f"{len(failed)} failed, first: {failed[0]}"
    assert load.requests.between(stopped + 0.5, started, "token"), "no token issued while down"
    assert load.requests.between(stopped + 0.5, started, "colors")
    assert load.requests.between(stopped + 0.5, started, "palettes")
    down = load.readiness.between(stopped + 0.5, started)
    assert down and all(a.status == 200 for a in down), describe(down)
    assert all(json.loads(a.body)["status"] == "degraded" for a in down), down[0].body
    assert "SharedCache" in down[-1].body
    after = readiness(url)
    assert (after.status_code, after.json()["status"]) == (200, "ok")


def test_redis_paused_under_load_slows_no_worker_down(stack):
    """A paused Redis (as a network partition: connections hang until their 0.5 s timeout,
    where a stopped one refuses at once) must not stall the workers: each process skips it
    for a few seconds after a failure (server/cache_breaker.py)."""
    url, redis = stack["url"], stack["redis"]
    with Load(url, CLIENT_ID, CLIENT_SECRET, stack["user_token"]) as load:
        time.sleep(WARM_UP)
        paused = time.monotonic()
        redis.process.send_signal(signal.SIGSTOP)
        try:
            time.sleep(OUTAGE)
        finally:
            resumed = time.monotonic()
            redis.process.send_signal(signal.SIGCONT)
        time.sleep(WARM_UP)
    answers = load.requests.between(0, time.monotonic())
    during = load.requests.between(paused, resumed)
    print(f"\nRedis paused {resumed - paused:.1f}s under load: {describe(answers)}")
    print(f"answered while paused: {describe(during)}")

    failed = [a for a in answers if a.status != 200]
    assert not failed, f"{len(failed)} failed, first: {failed[0]}"
    # Without skipping, every call waited for the timeout: 0 to 2 token requests got through.
    assert len([a for a in during if a.kind == "token"]) >= 15, describe(during)
    down = load.readiness.between(paused + 0.5, resumed)
    assert down and all(json.loads(a.body)["status"] == "degraded" for a in down)


def test_postgres_down_answers_503_never_500_and_recovers_without_restart(stack):
    url, postgres = stack["url"], stack["postgres"]
    with Load(url, CLIENT_ID, CLIENT_SECRET, stack["user_token"]) as load:
        time.sleep(WARM_UP)
        stopping = time.monotonic()
        postgres.pg_ctl("-m", "fast", "stop")
        stopped = time.monotonic()
        time.sleep(OUTAGE)
        postgres.pg_ctl("start")
        back = time.monotonic()
        time.sleep(DATABASE_RECOVERY + 2)
    ended = time.monotonic()
    answers = load.requests.between(0, ended)
    failed = [a for a in answers if a.status != 200]
    failed_after = [a for a in failed if a.at >= back]
    recovery = max((a.at for a in failed_after), default=back) - back
    print(
        f"\nPostgreSQL down {back - stopping:.1f}s under load: {describe(answers)}; "
        f"{len(failed_after)} failed after it was back, the last {recovery:.2f}s after"
    )

    assert all(a.status != 0 for a in answers), "gunicorn stopped answering"
    server_errors = [a for a in failed if a.status != 503]
    assert not server_errors, f"{len(server_errors)} not a 503, first: {server_errors[0]}"
    for answer in failed:
        assert answer.retry_after, answer
        if answer.kind == "page":
            assert answer.content_type.startswith("text/html"), answer
            assert "Traceback" not in answer.body
        else:
            assert answer.content_type == "application/json", answer
            assert json.loads(answer.body)["error"] == "temporarily_unavailable"
    assert recovery <= DATABASE_RECOVERY, f"still failing {recovery:.1f}s after the restart"
    assert load.requests.between(back + DATABASE_RECOVERY, ended, "token")
    down = load.readiness.between(stopped + 0.2, back - 0.2)
    assert down and all(a.status == 503 for a in down), describe(down)
    assert all(json.loads(a.body)["status"] == "unavailable" for a in down)
    print(f"readiness meanwhile: {down[-1].status} {down[-1].body}")
    assert "Database" in json.loads(down[-1].body)["checks"]
    assert json.loads(down[-1].body)["checks"]["Database"] != "ok"
    wait_for(lambda: readiness(url).status_code == 200, DATABASE_RECOVERY, "ready again")


def token_request(url: str) -> requests.Response:
    return requests.post(
        f"{url}/o/token/",
        data={"grant_type": "client_credentials", "scope": "colors:read"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        headers={"X-Forwarded-Proto": "https"},
        timeout=10,
    )


def failures_after_restart(url: str, postgres: PrivatePostgres) -> list[requests.Response]:
    """Restart PostgreSQL while the workers are idle, then send token requests one at a time
    (each on a new connection, so either worker may take it); the failed ones."""
    for _ in range(4):  # each worker has a connection open
        assert token_request(url).status_code == 200
    postgres.pg_ctl("-m", "fast", "restart")
    failed = []
    for _ in range(12):
        response = token_request(url)
        if response.status_code != 200:
            failed.append(response)
    assert response.status_code == 200, "still failing"
    return failed


def test_after_a_restart_an_idle_worker_answers_503_once_and_the_retry_succeeds(stack):
    failed = failures_after_restart(stack["url"], stack["postgres"])
    print(f"\nPostgreSQL restarted, health checks off: {len(failed)} of 12 requests failed")

    # At most one per worker: the connection each kept from before; a retry that reaches the
    # other worker may fail once more.
    assert len(failed) <= 2
    for response in failed:
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert response.json()["error"] == "temporarily_unavailable"


def test_with_connection_health_checks_on_a_restart_fails_no_request(stack):
    port = free_port()
    server = gunicorn_start(
        "oauth_portal.wsgi:application",
        cwd=PROJECT_ROOT,
        env={
            **stack["environment"],
            "DJANGO_CONN_HEALTH_CHECKS": "1",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
        },
        port=port,
        log_file=stack["directory"] / "gunicorn-health-checks.log",
        options=("-c", "deploy/gunicorn.conf.py"),
        health_path="/health/live",
    )
    try:
        failed = failures_after_restart(server.url, stack["postgres"])
    finally:
        server_stop(server)
    print(f"\nPostgreSQL restarted, health checks on: {len(failed)} of 12 requests failed")

    assert failed == []
