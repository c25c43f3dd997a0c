"""Project settings, read from the environment (12-factor).

Every environment read lives in this module. A malformed value raises ImproperlyConfigured at
start-up instead of surfacing later as a confusing runtime error. Our own settings carry a
``PORTAL_`` prefix and are read at call time (``settings.PORTAL_...``), so tests can override them.
"""

import ipaddress
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from oauth_portal.server.signing_keys import (
    LAZY_CURRENT_PRIVATE_KEY,
    LAZY_RETIRED_PRIVATE_KEYS,
    fernet_keys_parse,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


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
    start-up (oauth_portal/ratecounters.py parses it per request)."""
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"\d+/[1-9]?\d*[smhdSMHD]?", value):
        raise ImproperlyConfigured(f'{name} must be a rate such as "120/m", not {value!r}')
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


DEBUG = env_bool("DJANGO_DEBUG", False)

# --- Secret key --------------------------------------------------------------------------------
# In development a fixed, obviously insecure key keeps sessions valid across restarts and workers.
# With debug off we refuse to start without a real key: a guessable key forges sessions and
# password-reset links.
_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (
    len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak for production: use at least 50 random characters."
    )

# Old secret keys still accepted for signatures (sessions, reset links, the signing keys'
# default encryption key) while DJANGO_SECRET_KEY is being rotated.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is required when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    # Django's admin with our AdminSite (the dashboard on the index page).
    "oauth_portal.server.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "axes",
    # The pluggable apps (a host site installs these three)...
    "oauth_portal.audit",
    "oauth_portal.server",
    "oauth_portal.portal",
    # ...and our own site's: its users, the sample Colors API, the demo data.
    "accounts",
    "apis",
    "oauth_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, which reads the body first: unreadable or NUL-laden input gets a clean 400.
    "oauth_portal.server.middleware.HostileInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: it turns a sign-in that tripped the lock into the lock page, and the
    # middleware above still adds their headers (X-Frame-Options, HSTS) to that page.
    "axes.middleware.AxesMiddleware",
    # Remembers on this browser the accounts signed in here (accounts/sign_in_protection.py).
    "oauth_portal.server.sign_in_protection.KnownDeviceMiddleware",
]

ROOT_URLCONF = "oauth_portal.urls"
WSGI_APPLICATION = "oauth_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
try:
    DATABASES = {
        "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    }
except (ImproperlyConfigured, ValueError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
SUPPORTED_DATABASE_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
if DATABASES["default"].get("ENGINE") not in SUPPORTED_DATABASE_ENGINES:
    raise ImproperlyConfigured(
        "DATABASE_URL must be a sqlite:/// or postgres:// URL, e.g. postgres://user@host:5432/name"
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (several gunicorn workers racing to redeem one code) must queue, not
    # fail: WAL lets readers run beside the writer, the busy timeout makes writers wait, and
    # IMMEDIATE transactions take the write lock up front so read-then-write races serialise.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DJANGO_CONN_MAX_AGE", 60)
    # Off by default: with it on, every request pays a ``SELECT 1`` round trip (a third of the
    # time of a cheap API call in `make bench`); with it off, after a database restart each
    # worker's next request fails once and the broken connection is then replaced.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DJANGO_CONN_HEALTH_CHECKS", False)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "oauth_portal",
            # A Redis that stopped answering must fail fast: rate limits then count in the
            # database and bearer checks read it (never a 500, never a hung worker).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # The database is what several processes already share; rate-limit counters must be shared.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }

# --- Bearer checks (oauth_portal/bearer.py) ----------------------------------------------------
# Validated opaque tokens are kept in the shared cache this long (revocation still takes effect
# on the next request: it writes a tombstone). Off by default on the database cache, where a cache
# read costs as much as the token lookup it would save. JWT access tokens' "still live" marks
# use it too; their revocation lives in the database, so a flushed cache revives nothing.
PORTAL_TOKEN_CACHE = "default"
PORTAL_BEARER_CACHE_SECONDS = env_int(
    "PORTAL_BEARER_CACHE_SECONDS", 60 if REDIS_URL else 0, minimum=0
)
# How long a process reuses its snapshot of the API and scope registry (apis/registry.py).
PORTAL_REGISTRY_CACHE_SECONDS = env_int("PORTAL_REGISTRY_CACHE_SECONDS", 30, minimum=0)

# --- Rate limits (oauth_portal/ratelimits.py) --------------------------------------------------
# Failures count against the pair (client, address); every address has a much higher failure
# ceiling of its own; a client's request volume is counted only once it has authenticated.
# Successful requests never count toward an address's limit.
PORTAL_RATELIMIT_ENABLE = env_bool("PORTAL_RATELIMIT_ENABLED", True)
PORTAL_RATELIMIT_CACHE = "default"
PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = env_rate(
    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT", default="1200/m"
)
PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP = env_rate(
    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP", default="2400/m"
)
PORTAL_RATELIMIT_AUTH_FAILURES = env_rate("PORTAL_RATELIMIT_AUTH_FAILURES", default="30/m")
PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP = env_rate(
    "PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP", default="300/m"
)
PORTAL_RATELIMIT_AUTHORIZE_PER_IP = env_rate("PORTAL_RATELIMIT_AUTHORIZE_PER_IP", default="300/m")
# Account e-mails (sign-up, verification resend, address change, password reset): per target
# address (each kind of mail counted apart), per requesting address, per account.
PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ADDRESS = env_rate(
    "PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ADDRESS", default="5/h"
)
PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_IP = env_rate(
    "PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_IP", default="60/h"
)
PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ACCOUNT = env_rate(
    "PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ACCOUNT", default="10/h"
)


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


# Known shared addresses (an office NAT) that skip the per-address failure ceilings; the limits
# per (account, address) and (client, address) still hold behind them.
PORTAL_RATELIMIT_ADDRESS_ALLOWLIST = env_networks("PORTAL_RATELIMIT_ADDRESS_ALLOWLIST")

# --- Client addresses (oauth_portal/client_address.py) -----------------------------------------
# How many proxies in front of us append to X-Forwarded-For (a CDN and a load balancer: 2). One
# setting for the audit log, sign-in lockout and rate limits. DJANGO_BEHIND_TLS_PROXY alone
# means one.
PORTAL_TRUSTED_PROXY_COUNT = env_int(
    "PORTAL_TRUSTED_PROXY_COUNT", 1 if env_bool("DJANGO_BEHIND_TLS_PROXY", False) else 0
)

# --- Authentication ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# axes first: it refuses a locked account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "oauth_portal.server.sign_in_protection.SignInProtectionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Django's default hasher stays first (user passwords); ours hashes client secrets only, selected
# by OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"] (see oauth_portal/client_secrets.py for why).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "oauth_portal.server.client_secrets.ClientSecretHMACHasher",
]
# The key of the client-secret HMAC. Defaults to one derived from DJANGO_SECRET_KEY; set it
# separately to rotate DJANGO_SECRET_KEY without invalidating every client secret.
PORTAL_CLIENT_SECRET_KEY = env.str("PORTAL_CLIENT_SECRET_KEY", default="")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in brute force (django-axes and accounts/sign_in_protection.py) -----------------------
# Three rules, none of which lets a stranger lock someone else out:
# - N failures for one username from one address lock that pair (django-axes, in the database);
#   signing in to another account from the address does not clear the pair's count;
# - PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT failures from one address (any usernames) lock the
#   address, unless it is on PORTAL_RATELIMIT_ADDRESS_ALLOWLIST;
# - PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT failures for one username (any addresses) lock it for
#   browsers it was never signed in from; its owner's known browsers keep working.
# Tries during a lock are refused before any password is checked and do not extend the lock.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("PORTAL_SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "oauth_portal.server.sign_in_lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "oauth_portal.server.sign_in_lockout.client_address_bucket"
AXES_USERNAME_CALLABLE = "oauth_portal.server.sign_in_lockout.attempted_username"
# Our audit log records every sign-in already; axes keeps only what it needs to decide a lock.
AXES_DISABLE_ACCESS_LOG = True
PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT = env_int(
    "PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT", 100, minimum=1
)
PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT = env_int(
    "PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT", 20, minimum=1
)

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # On by default (check --deploy asks for it); turn off if some subdomain cannot do https.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    # Off only when a TLS-terminating proxy already redirects http to https.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto (and optionally X-Forwarded-Host)
# so request.is_secure() and the discovery issuer say https. Never enable without such a proxy:
# a client could then claim https itself.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", False)

# Content-Security-Policy (django-csp 4): no inline script anywhere, no framing. Inline styles
# are allowed (the admin uses style attributes); images may come from https (app logos).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "https:", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SILENCED_SYSTEM_CHECKS = [
    # DOT's RFC 9700 redirect-scheme check flags any "http" scheme. We keep "http" only for
    # RFC 8252 loopback redirects (http://127.0.0.1:<port>), which Application.clean() enforces.
    "oauth2_provider.W008",
]

# --- Internationalisation and static files -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
# SMTP, used when DJANGO_EMAIL_BACKEND is django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
# A stuck mail server must not hold a sign-up or reset request (and its worker) forever.
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Portal ID <noreply@localhost>")

# --- OAuth 2.0 / OpenID Connect (django-oauth-toolkit) -----------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "portal_server.Application"
# DOT's own (the default), named because our JwtAccessToken points at it.
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"

PORTAL_ACCESS_TOKEN_SECONDS = env_int("PORTAL_ACCESS_TOKEN_SECONDS", 3600, minimum=60)
PORTAL_REFRESH_TOKEN_SECONDS = env_int("PORTAL_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600, minimum=60)
# New portal apps start pending until an admin approves them (they work for their developer).
PORTAL_REQUIRE_APPROVAL = env_bool("PORTAL_REQUIRE_APPROVAL", False)
# Where the portal playground's server-side calls (token, revocation, JWKS, API) reach this
# server, e.g. http://127.0.0.1:8000 beside gunicorn. Never taken from the Host header. Empty:
# PORTAL_ISSUER's origin if pinned, else (runserver, the test live server) the bound port.
PORTAL_INTERNAL_BASE_URL = env.str("PORTAL_INTERNAL_BASE_URL", default="").strip().rstrip("/")
if PORTAL_INTERNAL_BASE_URL and not re.fullmatch(r"https?://[^/?#\s]+", PORTAL_INTERNAL_BASE_URL):
    raise ImproperlyConfigured(
        "PORTAL_INTERNAL_BASE_URL must be scheme://host[:port], e.g. http://127.0.0.1:8000"
    )
# How long a process may reuse the signing keys it read from the database before reading again.
PORTAL_SIGNING_KEY_CACHE_SECONDS = env_int("PORTAL_SIGNING_KEY_CACHE_SECONDS", 30)
# Fernet keys (comma-separated) that encrypt the signing keys at rest: the first encrypts, all
# decrypt. Empty: a key derived from DJANGO_SECRET_KEY. See oauth_portal/signing_keys.py.
PORTAL_SIGNING_KEY_ENCRYPTION_KEYS = fernet_keys_parse(
    env.list("PORTAL_SIGNING_KEY_ENCRYPTION_KEYS", default=[])
)

OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "oauth_portal.server.oauth2_validators.PortalOAuth2Validator",
    "OIDC_SERVER_CLASS": "oauth_portal.server.oauth_server.PortalServer",
    "SCOPES_BACKEND_CLASS": "oauth_portal.server.scopes.ScopeRegistry",
    "CLIENT_SECRET_HASHER": "portal_hmac_sha256",
    "RESOURCE_SERVER_TOKEN_RESOURCE_VALIDATOR": (
        "oauth_portal.server.audiences.token_audience_allows"
    ),
    # RFC 9068 JWT access tokens for the APIs that choose them; refresh tokens stay random.
    "ACCESS_TOKEN_GENERATOR": "oauth_portal.server.access_tokens.generate_access_token",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "OIDC_ENABLED": True,
    # Keys live in the database (portal_server.SigningKey); these lazy values read them there, so
    # every worker and host signs and publishes the same keys.
    "OIDC_RSA_PRIVATE_KEY": LAZY_CURRENT_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": LAZY_RETIRED_PRIVATE_KEYS,
    "OIDC_ISS_ENDPOINT": env.str("PORTAL_ISSUER", default=""),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # Signing out of one app ends the session here; it does not revoke other apps' tokens.
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": PORTAL_ACCESS_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": PORTAL_ACCESS_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": PORTAL_REFRESH_TOKEN_SECONDS,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ALLOW_URI_WILDCARDS": False,
    # DOT checks CORS origins against these; Application.clean() allows http for loopback only.
    "ALLOWED_SCHEMES": ["https", "http"],
    "REQUEST_APPROVAL_PROMPT": "force",
    "DEFAULT_SCOPES": [],
    # RFC 9700 gates: enforce every compliant behaviour now rather than in DOT 4.0.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Our admin classes (oauth_portal/admin_clients.py, admin_tokens.py): services for every
    # change, and never a secret or token value on screen.
    "APPLICATION_ADMIN_CLASS": "oauth_portal.server.admin.clients.ApplicationAdmin",
    "ACCESS_TOKEN_ADMIN_CLASS": "oauth_portal.server.admin.tokens.AccessTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "oauth_portal.server.admin.tokens.RefreshTokenAdmin",
    "GRANT_ADMIN_CLASS": "oauth_portal.server.admin.tokens.GrantAdmin",
    "ID_TOKEN_ADMIN_CLASS": "oauth_portal.server.admin.tokens.IDTokenAdmin",
}

# --- Django REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apis.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apis.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "apis.exceptions.bearer_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

# --- Developer portal: API docs (drf-spectacular) ---------------------------------------------
# OpenAPI 3 generated from the DRF views, with DOT's OAuth 2.0 authorization-code flow as the
# security scheme; Swagger UI and its assets come from drf-spectacular-sidecar (our static files,
# no CDN). The endpoints, scopes and absolute URLs are filled in by oauth_portal.portal.openapi.
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "Portal ID APIs",
    "DESCRIPTION": "Resource APIs protected by Portal ID. Call them with "
    "`Authorization: Bearer <access token>`; each operation names the scopes it needs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema lists the scopes from the database; `check --deploy` runs before `migrate`.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # The schema and the docs are public documents; the APIs themselves need a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAUTH2_FLOWS": ["authorizationCode"],
    "OAUTH2_AUTHORIZATION_URL": "/o/authorize/",
    "OAUTH2_TOKEN_URL": "/o/token/",
    "OAUTH2_REFRESH_URL": "/o/token/",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    "SWAGGER_UI_OAUTH2_CONFIG": {"usePkceWithAuthorizationCodeGrant": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "oauth_portal.portal.openapi.absolute_oauth_urls",
    ],
}

# --- CORS --------------------------------------------------------------------------------------
# Browser clients may call only these paths; which origins may do so is decided per request from
# the registered public clients (oauth_portal.server.cors), plus the operator's list below.
CORS_URLS_REGEX = r"^/(o/(token|userinfo|revoke_token)/|api/).*$"
PORTAL_CORS_EXTRA_ORIGINS = env.list("PORTAL_CORS_ALLOWED_ORIGINS", default=[])

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # oauthlib logs request bodies (codes, secrets) at DEBUG: never let it reach the logs.
        "oauthlib": {"level": "WARNING"},
        "oauth2_provider": {"level": "WARNING"},
    },
}
