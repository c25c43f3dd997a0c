"""The host site (``tests/host_project``) run as an operator runs it, for the tests that plug
our apps into it: a fresh database like the suite's (a SQLite file, or a new PostgreSQL database
when ``DATABASE_URL`` names PostgreSQL, as in CI's second pass), ``migrate``, the test's own
set-up scripts, DOT's ``createapplication --algorithm RS256``, then ``gunicorn
host.wsgi:application`` on a free loopback port."""

import os
import secrets
from contextlib import contextmanager
from pathlib import Path

import environ

from tests import gunicorn_servers
from tests.gunicorn_servers import free_port, gunicorn_start, server_stop

HOST_PROJECT = Path(__file__).resolve().parent


def fresh_database_url(tmp_path: Path) -> tuple[str, str | None]:
    """A new, empty database like the suite's: (its URL, the PostgreSQL name to drop or None)."""
    suite_url = os.environ.get("DATABASE_URL", "")
    if not suite_url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp_path / 'host.sqlite3'}", None
    import psycopg

    config = environ.Env.db_url_config(suite_url)
    name = f"oauth_portal_host_{os.getpid()}"
    with psycopg.connect(**_libpq(config, dbname="postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return suite_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres_database(name: str) -> None:
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    with psycopg.connect(**_libpq(config, dbname="postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq(config: dict, *, dbname: str) -> dict:
    keys = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
    return {"dbname": dbname, **{kw: config[k] for k, kw in keys.items() if config.get(k)}}


def host_environment(database_url: str) -> dict[str, str]:
    """The five variables the host's settings read, and nothing of the suite's own."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PORTAL_", "DATABASE_URL", "REDIS_URL"))
    }
    return {
        **environment,
        "DJANGO_SETTINGS_MODULE": "host.settings",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain http on loopback: with debug off the session cookie would be Secure.
        "DJANGO_DEBUG": "1",
        "DJANGO_SUPERUSER_USERNAME": "admin",
        "DJANGO_SUPERUSER_EMAIL": "admin@example.test",
        "DJANGO_SUPERUSER_PASSWORD": "admin-" + secrets.token_urlsafe(12),
    }


def manage(env: dict[str, str], *args: str) -> str:
    return gunicorn_servers.manage(HOST_PROJECT, env, *args)


@contextmanager
def running_host(
    tmp_path: Path,
    *,
    client_id: str,
    client_secret: str,
    scripts: tuple[str, ...] = (),
    superuser: bool = False,
    settings_module: str = "host.settings",
    workers: int = 2,
):
    """The host site serving on a free port with one confidential client whose redirect URI
    is ``<url>/callback``; ``scripts`` run in ``manage.py shell`` before the client is made.
    Yields ``{"url", "redirect_uri", "admin_password"}``; stops and drops everything after."""
    database_url, postgres_name = fresh_database_url(tmp_path)
    environment = {**host_environment(database_url), "DJANGO_SETTINGS_MODULE": settings_module}
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = None
    try:
        manage(environment, "migrate", "--noinput")
        if superuser:
            manage(environment, "createsuperuser", "--noinput")
        for script in scripts:
            manage(environment, "shell", "-c", script)
        manage(
            environment,
            "createapplication",
            "confidential",
            "authorization-code",
            "--name=Host test app",
            f"--client-id={client_id}",
            f"--client-secret={client_secret}",
            f"--redirect-uris={base_url}/callback",
            "--algorithm=RS256",
        )
        server = gunicorn_start(
            "host.wsgi:application",
            cwd=HOST_PROJECT,
            env=environment,
            log_file=tmp_path / "gunicorn.log",
            port=port,
            options=("--workers", str(workers)),
            health_path="/o/.well-known/openid-configuration",
        )
        yield {
            "url": base_url,
            "redirect_uri": f"{base_url}/callback",
            "admin_password": environment["DJANGO_SUPERUSER_PASSWORD"],
        }
    finally:
        if server is not None:
            server_stop(server)
        if postgres_name:
            drop_postgres_database(postgres_name)
