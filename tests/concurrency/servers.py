"""Real processes for the concurrency tests: throwaway databases and gunicorn servers.

Each database is created, migrated and seeded (``seed_demo``) once per test session by a
``manage.py`` subprocess; each gunicorn runs the production WSGI application on a free loopback
port against it. Every wait is bounded, and every process is stopped by the fixture that
started it.
"""

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from tests import gunicorn_servers
from tests.gunicorn_servers import Server, free_port, gunicorn_start

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 60
POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER = "127.0.0.1", 5432, "postgres"
# Short, so a rotation made by one process reaches the others within a test.
SIGNING_KEY_CACHE_SECONDS = 1
# The shared cache the servers use when Redis answers (validated tokens, revocation lists, rate
# limits), as several hosts would; a database number of its own, emptied when first used.
REDIS_TEST_URL = "redis://127.0.0.1:6379/12"
# Short, so an API registry change made in the database reaches the servers within a test.
REGISTRY_CACHE_SECONDS = 1
# The databases the tests run on, and the session fixture (conftest.py) that prepares each.
VENDOR_FIXTURES = {"sqlite": "sqlite_database", "postgresql": "postgres_database"}


@dataclass
class Database:
    """One throwaway database, migrated and seeded, and raw SQL access to it for assertions.

    ``redirect_uri`` is the demo web app's registered callback (seeded as ``<base>/demo/
    callback``); nothing listens there, the tests only read the code from the Location header.
    """

    vendor: str
    url: str
    redirect_uri: str = ""
    environment: dict = field(default_factory=dict)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one read query (``%s`` placeholders) and return its rows."""
        return self._run(sql, params, fetch=True)

    def execute(self, sql: str, params: tuple = ()) -> None:
        """Run one write statement (``%s`` placeholders), committed at once."""
        self._run(sql, params, fetch=False)

    def _run(self, sql: str, params: tuple, *, fetch: bool):
        if self.vendor == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(path, timeout=20)) as conn:
                cursor = conn.execute(sql.replace("%s", "?"), params)
                result = cursor.fetchall() if fetch else None
                conn.commit()
                return result
        import psycopg

        with psycopg.connect(self._libpq_url(), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if fetch else None

    def _libpq_url(self) -> str:
        return self.url.replace("postgres://", "postgresql://", 1)


def server_environment(database_url: str) -> dict[str, str]:
    """What an operator gives every process: one database, one secret key, a short
    signing-key cache, and rate limits on (racers go through them as in production) at rates
    pinned well above what these tests send, so no burst of theirs is ever answered 429."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "oauth_portal.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        # Plain http on loopback: with debug off the session cookie would be Secure, and
        # seed_demo would pick random passwords.
        "DJANGO_DEBUG": "1",
        "PORTAL_RATELIMIT_ENABLED": "1",
        "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT": "1200/m",
        "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP": "2400/m",
        "PORTAL_RATELIMIT_AUTHORIZE_PER_IP": "600/m",
        "PORTAL_SIGNING_KEY_CACHE_SECONDS": str(SIGNING_KEY_CACHE_SECONDS),
        "PORTAL_REGISTRY_CACHE_SECONDS": str(REGISTRY_CACHE_SECONDS),
        **shared_cache_environment(),
    }


def shared_cache_environment() -> dict[str, str]:
    """``REDIS_URL`` for the servers when a Redis server answers (emptied first); without one
    they share the database cache, and the bearer-check cache is off, as in production."""
    try:
        import redis

        connection = redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=2)
        connection.flushdb()
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return {}
    return {"REDIS_URL": REDIS_TEST_URL}


def manage(env: dict[str, str], *args: str) -> str:
    return gunicorn_servers.manage(PROJECT_ROOT, env, *args)


def manage_start(env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ``manage.py`` without waiting for it (``communicate(timeout=...)`` to collect it)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def database_prepare(database: Database) -> Database:
    """Migrate and seed ``database``, in one ``manage.py`` process (Django starts once)."""
    database.environment = server_environment(database.url)
    base_url = f"http://127.0.0.1:{free_port()}"
    manage(
        database.environment,
        "shell",
        "-c",
        "from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); "
        f"call_command('seed_demo', base_url={base_url!r}, verbosity=0)",
    )
    database.redirect_uri = f"{base_url}/demo/callback"
    return database


# --- PostgreSQL ----------------------------------------------------------------------------------


def postgres_unavailable_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    if shutil.which("psql") is None or shutil.which("pg_isready") is None:
        return "the PostgreSQL client tools (psql, pg_isready) are not installed"
    ready = subprocess.run(
        ["pg_isready", "-h", POSTGRES_HOST, "-p", str(POSTGRES_PORT), "-t", "3"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    if ready.returncode != 0:
        return f"no PostgreSQL at {POSTGRES_HOST}:{POSTGRES_PORT}: {ready.stdout.strip()}"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    return None


def psql(sql: str) -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            POSTGRES_HOST,
            "-p",
            str(POSTGRES_PORT),
            "-U",
            POSTGRES_USER,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
        timeout=COMMAND_TIMEOUT,
    )


def postgres_database_create(name: str) -> Database:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    url = f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    return Database(vendor="postgresql", url=url)


def postgres_database_drop(name: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- gunicorn -------------------------------------------------------------------------------------


def server_start(database: Database, log_dir: Path, *, workers: int, threads: int) -> Server:
    """gunicorn with ``workers`` processes of ``threads`` threads each, on a free port, healthy.

    ``--preload`` imports Django once in the master before forking: a faster start, and no
    database connection is opened before the fork.
    """
    port = free_port()
    return gunicorn_start(
        "oauth_portal.wsgi:application",
        cwd=PROJECT_ROOT,
        env=database.environment,
        log_file=log_dir / f"gunicorn-{database.vendor}-{port}.log",
        port=port,
        options=(
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "30",
            "--preload",
        ),
    )
