"""Settings read from the environment, each case in a fresh interpreter.

Settings are read once, at import, so every test starts its own ``manage.py`` or ``python -c``
with an environment it controls: a minimal copy of ours with every ``DJANGO_*`` variable (and
the other variables the settings read) removed, plus what the test sets.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string

from tests.site.settings_helpers import PROJECT_ROOT, production_env

# Print the settings a test looks at, after Django has loaded them.
_DUMP_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = [
    "DEBUG", "DATABASES", "CACHES", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "USE_X_FORWARDED_HOST",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_HOST_USER",
    "PORTAL_MAIL_DELIVERY_BACKEND",
]
loaded = {name: getattr(settings, name) for name in names}
# Whether the secret key is the one the test expects, never the key itself.
import os
loaded["SECRET_KEY_MATCHES"] = settings.SECRET_KEY == os.environ.get("EXPECTED_SECRET_KEY")
print(json.dumps(loaded, default=str))
"""


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded_settings(env: dict[str, str]) -> dict:
    env = {**env, "DJANGO_SETTINGS_MODULE": "oauth_portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", _DUMP_SETTINGS],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def final_error(result: subprocess.CompletedProcess) -> str:
    """The exception the process died of: the last line Python printed to stderr."""
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else ""


def assert_refused(result: subprocess.CompletedProcess, *, naming: str) -> None:
    """The process stopped at start-up with an ImproperlyConfigured that names ``naming``."""
    assert result.returncode != 0, result.stdout
    error = final_error(result)
    assert error.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    assert naming in error, result.stderr


# --- A production configuration passes Django's deployment checks ----------------------------


def test_deploy_check_passes_without_warnings_with_production_env(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr
    assert "System check identified no issues" in result.stdout


# --- Start-up is refused when production would be unsafe -------------------------------------


def test_start_up_refused_without_secret_key_when_debug_off(tmp_path):
    result = manage("check", env=production_env(tmp_path, DJANGO_SECRET_KEY=None))

    assert_refused(result, naming="DJANGO_SECRET_KEY")


@pytest.mark.parametrize(
    "weak_key",
    [
        "django-insecure-abc",
        "django-insecure-"
        + "x7Kp2Qm9Rt4Wz8Ln3Vb6Hs1Jd5Gc0YeFa2Pu9Wr4Ox8Zt3Ky",  # long, but Django's dev prefix
        "a" * 64,  # long, but guessable
        "short-but-random-Zr2vLx7Wm4",
    ],
)
def test_start_up_refused_with_weak_secret_key_when_debug_off(tmp_path, weak_key):
    result = manage("check", env=production_env(tmp_path, DJANGO_SECRET_KEY=weak_key))

    assert_refused(result, naming="DJANGO_SECRET_KEY")


def test_start_up_refused_without_allowed_hosts_when_debug_off(tmp_path):
    result = manage("check", env=production_env(tmp_path, DJANGO_ALLOWED_HOSTS=None))

    assert_refused(result, naming="DJANGO_ALLOWED_HOSTS")


@pytest.mark.parametrize("rate", ["1200/min", "lots", "-5/m", "5/0m"])
def test_start_up_refused_with_a_malformed_rate_limit(tmp_path, rate):
    env = production_env(tmp_path, PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT=rate)

    result = manage("check", env=env)

    assert_refused(result, naming="PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT")


def test_debug_on_starts_without_secret_key_or_allowed_hosts(tmp_path):
    env = production_env(
        tmp_path, DJANGO_DEBUG="1", DJANGO_SECRET_KEY=None, DJANGO_ALLOWED_HOSTS=None
    )

    result = manage("check", env=env)

    assert result.returncode == 0, result.stderr


# --- Malformed values are named in a clear message ---------------------------------------------


def test_non_boolean_debug_is_refused_with_a_clear_message(tmp_path):
    result = manage("check", env=production_env(tmp_path, DJANGO_DEBUG="maybe"))

    assert_refused(result, naming="DJANGO_DEBUG")
    assert "'maybe'" in final_error(result)


@pytest.mark.parametrize(
    "database_url",
    [
        "postgres://user@host:notaport/name",
        "not-a-url",
        "postgress://user@host:5432/name",
    ],
)
def test_malformed_database_url_is_refused_with_a_clear_message(tmp_path, database_url):
    result = manage("check", env=production_env(tmp_path, DATABASE_URL=database_url))

    assert_refused(result, naming="DATABASE_URL")


def test_non_integer_hsts_seconds_is_refused_with_a_clear_message(tmp_path):
    result = manage("check", env=production_env(tmp_path, DJANGO_SECURE_HSTS_SECONDS="a-year"))

    assert_refused(result, naming="DJANGO_SECURE_HSTS_SECONDS")


def test_redis_url_with_another_scheme_is_refused(tmp_path):
    result = manage("check", env=production_env(tmp_path, REDIS_URL="http://cache:6379/0"))

    assert_refused(result, naming="REDIS_URL")


# --- Database and cache selection ----------------------------------------------------------------


def test_postgres_database_url_selects_postgresql_engine(tmp_path):
    env = production_env(tmp_path, DATABASE_URL="postgres://user@host:5432/name")

    database = loaded_settings(env)["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["HOST"], database["PORT"]) == (
        "name",
        "user",
        "host",
        5432,
    )
    # Off by default: each check is a round trip per request (DJANGO_CONN_HEALTH_CHECKS=1).
    assert database["CONN_HEALTH_CHECKS"] is False
    assert database["CONN_MAX_AGE"] == 60
    # The SQLite-only options are not passed to PostgreSQL.
    assert "transaction_mode" not in database.get("OPTIONS", {})
    # The hot path's compiled SQL runs as prepared statements (oauth_portal/db/prepared.py).
    assert database["OPTIONS"]["prepare_threshold"] == 5


def test_prepared_statements_can_be_switched_off_for_a_pooler(tmp_path):
    env = production_env(
        tmp_path,
        DATABASE_URL="postgres://user@host:5432/name",
        DJANGO_DB_PREPARED_STATEMENTS="0",
    )

    database = loaded_settings(env)["DATABASES"]["default"]

    # psycopg prepares nothing without a threshold (Django's default).
    assert "prepare_threshold" not in database.get("OPTIONS", {})


def test_default_database_is_sqlite_in_project_root_with_wal_and_immediate_transactions(tmp_path):
    database = loaded_settings(production_env(tmp_path, DATABASE_URL=None))["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == PROJECT_ROOT / "db.sqlite3"
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5  # concurrent writers wait instead of failing


def test_redis_url_selects_shared_redis_cache(tmp_path):
    caches = loaded_settings(production_env(tmp_path, REDIS_URL="redis://cache:6379/1"))["CACHES"]

    # Django's Redis cache, keeping one client per thread (oauth_portal/server/redis_cache.py).
    assert caches["default"]["BACKEND"] == "oauth_portal.server.redis_cache.RedisCache"
    assert issubclass(import_string(caches["default"]["BACKEND"]), RedisCache)
    assert caches["default"]["LOCATION"] == "redis://cache:6379/1"


def test_cache_is_shared_through_the_database_without_redis_url(tmp_path):
    caches = loaded_settings(production_env(tmp_path))["CACHES"]

    assert caches["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


# --- Transport security ---------------------------------------------------------------------------


def test_debug_off_makes_cookies_secure_and_sets_hsts(tmp_path):
    loaded = loaded_settings(production_env(tmp_path))

    assert loaded["DEBUG"] is False
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SESSION_COOKIE_HTTPONLY"] is True
    assert loaded["SECURE_HSTS_SECONDS"] >= 31536000
    assert loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert loaded["SECURE_HSTS_PRELOAD"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True


def test_debug_on_keeps_plain_http_cookies_for_localhost(tmp_path):
    loaded = loaded_settings(production_env(tmp_path, DJANGO_DEBUG="1"))

    assert loaded["DEBUG"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is False
    assert loaded["CSRF_COOKIE_SECURE"] is False
    assert loaded["SECURE_HSTS_SECONDS"] == 0
    assert loaded["SECURE_SSL_REDIRECT"] is False


def test_forwarded_proto_is_trusted_only_behind_a_declared_tls_proxy(tmp_path):
    direct = loaded_settings(production_env(tmp_path))
    proxied = loaded_settings(production_env(tmp_path, DJANGO_BEHIND_TLS_PROXY="1"))

    assert direct["SECURE_PROXY_SSL_HEADER"] is None
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["USE_X_FORWARDED_HOST"] is False
