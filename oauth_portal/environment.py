"""Typed readers of the environment for ``settings.py``: each refuses a malformed value at
start-up with a message that names the variable (never echoing a secret), instead of a confusing
error later. Only ``settings.py`` calls them."""

import ipaddress
import re

import environ
from django.core.exceptions import ImproperlyConfigured

from oauth_portal.server.rates import parse_rate
from oauth_portal.server.signing_keys import fernet_keys_parse


class _SecretFiles(environ.FileAwareMapping):
    """``NAME_FILE=/run/secrets/name`` stands for ``NAME`` (Docker and Kubernetes secrets), for
    every variable. The line end an editor or ``echo`` leaves at the end of the file is not
    part of the value."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if self.env.get(key + "_FILE"):
            value = value.rstrip("\r\n")
        return value

    def __contains__(self, key):
        return bool(self.env.get(key + "_FILE")) or key in self.env


env = environ.FileAwareEnv()
env.ENVIRON = _SecretFiles()


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """An integer from the environment, refusing garbage and values below ``minimum``."""
    try:
        value = env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return value


def env_rate(name: str, default: str) -> str:
    """A rate limit such as ``1200/m`` (N per s, m, h or d; ``N/5m``: per 5 minutes), checked at
    start-up with the grammar the rate limits parse it with per request."""
    value = env.str(name, default=default).strip()
    try:
        parse_rate(value)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f'{name} must be a rate such as "120/m", not {value!r}') from exc
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_networks(name: str) -> list[str]:
    """Comma-separated addresses or CIDR networks, each checked at start-up."""
    values = env.list(name, default=[])
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} must list addresses or networks such as 203.0.113.0/24, not {value!r}"
            ) from exc
    return values


def env_origin(name: str) -> str:
    """``scheme://host[:port]`` (no path), or empty."""
    value = env.str(name, default="").strip().rstrip("/")
    if value and not re.fullmatch(r"https?://[^/?#\s]+", value):
        raise ImproperlyConfigured(
            f"{name} must be scheme://host[:port], e.g. http://127.0.0.1:8000"
        )
    return value


def env_email(name: str) -> dict:
    """Django's EMAIL_* settings from one URL (django-environ's ``email_url``:
    ``smtp+tls://user:password@host:587``, ``smtp+ssl://...:465``, ``consolemail://``), or {}
    when unset. The message never echoes the URL: it may hold a password."""
    raw = env.str(name, default="").strip()
    if not raw:
        return {}
    try:
        config = environ.Env.email_url_config(raw)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a configuration error
        raise ImproperlyConfigured(
            f"{name} must be an e-mail URL such as smtp+tls://user:password@host:587"
        ) from exc
    if not config.get("EMAIL_BACKEND"):
        raise ImproperlyConfigured(f"{name} has an unknown scheme (smtp, smtp+tls, smtp+ssl)")
    return config


def env_email_settings() -> dict:
    """Django's EMAIL_* settings: from ``DJANGO_EMAIL_URL`` when set, else from the separate
    ``DJANGO_EMAIL_*`` variables (the console backend by default)."""
    return {
        "EMAIL_BACKEND": env.str(
            "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
        ),
        "EMAIL_HOST": env.str("DJANGO_EMAIL_HOST", default="localhost"),
        "EMAIL_PORT": env_int("DJANGO_EMAIL_PORT", 25, minimum=1),
        "EMAIL_HOST_USER": env.str("DJANGO_EMAIL_HOST_USER", default=""),
        "EMAIL_HOST_PASSWORD": env.str("DJANGO_EMAIL_HOST_PASSWORD", default=""),
        "EMAIL_USE_TLS": env_bool("DJANGO_EMAIL_USE_TLS", False),
        **env_email("DJANGO_EMAIL_URL"),
    }


SUPPORTED_DATABASE_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


def env_database(name: str, *, default: str, sqlite_options: dict) -> dict:
    """The default database from the URL in ``name``: SQLite (with ``sqlite_options``) or
    PostgreSQL (persistent connections, prepared statements for the hot path)."""
    try:
        database = env.db(name, default=default)
    except (ImproperlyConfigured, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from exc
    if database.get("ENGINE") not in SUPPORTED_DATABASE_ENGINES:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:/// or postgres:// URL, e.g. postgres://user@host:5432/name"
        )
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["OPTIONS"] = sqlite_options
        return database
    database["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60)
    # Off by default: with it on, every request pays a ``SELECT 1`` round trip (a third of the
    # time of a cheap API call in `make bench`); with it off, after a database restart each
    # worker's next request fails once (a 503 with Retry-After: server/database_unavailable.py)
    # and the broken connection is then replaced. Measured in docs/operations.md.
    database["CONN_HEALTH_CHECKS"] = env_bool("DJANGO_CONN_HEALTH_CHECKS", False)
    if env_bool("DJANGO_DB_PREPARED_STATEMENTS", True):
        # The token endpoint's compiled SQL runs as prepared statements (oauth_portal/db/
        # prepared.py); psycopg's default threshold. Off behind a pooler that cannot carry them.
        database.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
    return database


def env_fernet_keys(name: str) -> list[str]:
    """Comma-separated Fernet keys, each checked (the message names the position, not the key)."""
    return fernet_keys_parse(env.list(name, default=[]))


# In development a fixed, obviously insecure key keeps sessions valid across restarts and
# workers. With debug off start-up is refused without a real key: a guessable key forges
# sessions and password-reset links.
_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"


def env_secret_key(name: str, *, debug: bool) -> str:
    value = env.str(name, default="")
    if not value:
        if not debug:
            raise ImproperlyConfigured(
                f"{name} is required when DJANGO_DEBUG is off. Generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
            )
        return _DEV_SECRET_KEY
    if not debug and (
        len(value) < 50 or value.startswith("django-insecure") or len(set(value)) < 5
    ):
        raise ImproperlyConfigured(
            f"{name} is too weak for production: use at least 50 random characters."
        )
    return value


def env_allowed_hosts(name: str, *, debug: bool) -> list[str]:
    """Comma-separated host names; the localhost names by default with debug on, required
    with debug off."""
    default = ["localhost", "127.0.0.1", "[::1]", "testserver"] if debug else []
    hosts = env.list(name, default=default)
    if not debug and not hosts:
        raise ImproperlyConfigured(f"{name} is required when DJANGO_DEBUG is off.")
    return hosts


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.str(name, default=default).strip()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}")
    return value
