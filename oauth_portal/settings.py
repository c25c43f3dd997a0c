"""Project settings, read from the environment (12-factor) through the typed readers of
``environment.py``: a malformed value stops start-up with a message naming the variable. Our own
settings carry a ``PORTAL_`` prefix and are read at call time, so tests can override them."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from oauth_portal.environment import (
    env,
    env_allowed_hosts,
    env_bool,
    env_choice,
    env_database,
    env_email_settings,
    env_fernet_keys,
    env_int,
    env_networks,
    env_origin,
    env_rate,
    env_secret_key,
)
from oauth_portal.mfa import defaults as mfa_defaults
from oauth_portal.observability.logs import logging_settings
from oauth_portal.server import defaults as portal_defaults

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

# --- Secret key --------------------------------------------------------------------------------
# A fixed development key with debug on; with debug off a real, strong key or no start-up.
SECRET_KEY = env_secret_key("DJANGO_SECRET_KEY", debug=DEBUG)

# Old secret keys still accepted for signatures (sessions, reset links, the signing keys'
# default encryption key) while DJANGO_SECRET_KEY is being rotated.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env_allowed_hosts("DJANGO_ALLOWED_HOSTS", debug=DEBUG)
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
    # The pluggable apps and what they build on (a host site installs the same list)...
    *portal_defaults.PORTAL_INSTALLED_APPS,
    # Two-step verification (oauth_portal/mfa): authenticator apps, passkeys, recovery codes.
    *mfa_defaults.MFA_INSTALLED_APPS,
    # ...and our own site's: its users, the sample Colors API, the demo data.
    "accounts",
    "apis",
    "oauth_portal",
]

# The apps' middleware (oauth_portal/server/defaults.py), with whitenoise serving our static files.
MIDDLEWARE = [*portal_defaults.PORTAL_MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
MIDDLEWARE += mfa_defaults.MFA_MIDDLEWARE

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
DATABASES = {
    "default": env_database(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Concurrent writers must queue, not fail (see PORTAL_SQLITE_OPTIONS).
        sqlite_options=portal_defaults.PORTAL_SQLITE_OPTIONS,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://")
    CACHES = {
        "default": {
            # Django's Redis backend, one client per thread (oauth_portal/server/redis_cache.py).
            "BACKEND": "oauth_portal.server.redis_cache.RedisCache",
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

# --- Bearer checks (oauth_portal/server/bearer.py) ------------------------------------------------
# Validated opaque tokens are kept in the shared cache this long (revocation still takes effect
# on the next request: it writes a tombstone). Off by default on the database cache, where a cache
# read costs as much as the token lookup it would save. JWT access tokens' "still live" marks
# use it too; their revocation lives in the database, so a flushed cache revives nothing.
PORTAL_TOKEN_CACHE = "default"
PORTAL_BEARER_CACHE_SECONDS = env_int(
    "PORTAL_BEARER_CACHE_SECONDS", 60 if REDIS_URL else 0, minimum=0
)
# How long a process reuses its snapshot of the API and scope registry (server/registry.py).
PORTAL_REGISTRY_CACHE_SECONDS = env_int("PORTAL_REGISTRY_CACHE_SECONDS", 30, minimum=0)

# --- Rate limits (oauth_portal/server/ratelimits.py) ----------------------------------------------
# Failures count against the pair (client, address); every address has a much higher failure
# ceiling of its own; a client's request volume is counted only once it has authenticated.
# Successful requests never count toward an address's limit.
PORTAL_RATELIMIT_ENABLE = env_bool("PORTAL_RATELIMIT_ENABLED", True)
PORTAL_RATELIMIT_CACHE = "default"
# Each rate is "N/period" (s, m, h, d; "N/10m"), read from the variable of the same name:
# - token, introspection, revocation: an authenticated client's volume, refused requests per
#   address, failed client authentications per (client, address) and per address, refused
#   authorization requests per address;
# - account e-mails (sign-up, resend, address change, reset): per target address (each kind
#   apart), per requesting address, per account;
# - the device flow's wrong user codes per signed-in user and per address;
# - wrong second-step codes per (user, address), per address, per account (oauth_portal/mfa).
_RATE_DEFAULTS = {
    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT": "1200/m",
    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP": "2400/m",
    "PORTAL_RATELIMIT_AUTH_FAILURES": "30/m",
    "PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP": "300/m",
    "PORTAL_RATELIMIT_AUTHORIZE_PER_IP": "300/m",
    "PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ADDRESS": "5/h",
    "PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_IP": "60/h",
    "PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ACCOUNT": "10/h",
    "PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_USER": "10/10m",
    "PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_IP": "100/10m",
    "PORTAL_MFA_CODE_FAILURES": "5/15m",
    "PORTAL_MFA_CODE_FAILURES_PER_IP": "100/15m",
    "PORTAL_MFA_CODE_FAILURES_PER_ACCOUNT": "30/h",
}
globals().update({name: env_rate(name, default) for name, default in _RATE_DEFAULTS.items()})
PORTAL_DEVICE_CODE_EXPIRE_SECONDS = env_int("PORTAL_DEVICE_CODE_EXPIRE_SECONDS", 600, minimum=60)
# Back-channel logout (server/logout_notifications.py) may call apps on private addresses only
# when allowed: by default in development (a local app), never in production.
PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES = env_bool(
    "PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES", DEBUG
)

# Known shared addresses (an office NAT) that skip the per-address failure ceilings; the limits
# per (account, address) and (client, address) still hold behind them.
PORTAL_RATELIMIT_ADDRESS_ALLOWLIST = env_networks("PORTAL_RATELIMIT_ADDRESS_ALLOWLIST")

# --- Client addresses (oauth_portal/audit/client_address.py) --------------------------------------
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
# Our pages the apps' sign-in-facing pages link to (oauth_portal/server/app_settings.py).
PORTAL_HOME_URL = "accounts:home"
PORTAL_LOGOUT_URL = "accounts:logout"
PORTAL_PASSWORD_RESET_URL = "accounts:password-reset"
AUTHENTICATION_BACKENDS = [
    *portal_defaults.AUTHENTICATION_BACKENDS,
    *mfa_defaults.MFA_AUTHENTICATION_BACKENDS,
]
PASSWORD_HASHERS = portal_defaults.PASSWORD_HASHERS
# The key of the client-secret HMAC. Defaults to one derived from DJANGO_SECRET_KEY; set it
# separately to rotate DJANGO_SECRET_KEY without invalidating every client secret.
PORTAL_CLIENT_SECRET_KEY = env.str("PORTAL_CLIENT_SECRET_KEY", default="")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in brute force (django-axes and oauth_portal/server/sign_in_protection.py) --------------
# Three rules, none of which lets a stranger lock someone else out:
# - N failures for one username from one address lock that pair (django-axes, in the database);
#   signing in to another account from the address does not clear the pair's count;
# - PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT failures from one address (any usernames) lock the
#   address, unless it is on PORTAL_RATELIMIT_ADDRESS_ALLOWLIST;
# - PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT failures for one username (any addresses) lock it for
#   browsers it was never signed in from; its owner's known browsers keep working.
# Tries during a lock are refused before any password is checked and do not extend the lock.
AXES_HANDLER = portal_defaults.AXES_HANDLER
AXES_LOCKOUT_PARAMETERS = portal_defaults.AXES_LOCKOUT_PARAMETERS
AXES_FAILURE_LIMIT = env_int("PORTAL_SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = (
    portal_defaults.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
)
AXES_RESET_ON_SUCCESS = portal_defaults.AXES_RESET_ON_SUCCESS
AXES_LOCKOUT_CALLABLE = portal_defaults.AXES_LOCKOUT_CALLABLE
AXES_CLIENT_IP_CALLABLE = portal_defaults.AXES_CLIENT_IP_CALLABLE
AXES_USERNAME_CALLABLE = portal_defaults.AXES_USERNAME_CALLABLE
AXES_DISABLE_ACCESS_LOG = portal_defaults.AXES_DISABLE_ACCESS_LOG
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
    # Load balancers and Prometheus reach each host directly over the private network's http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/", r"^metrics$"]

# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto (and optionally X-Forwarded-Host)
# so request.is_secure() and the discovery issuer say https. Never enable without such a proxy:
# a client could then claim https itself.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", False)

# Content-Security-Policy (django-csp 4): no inline script anywhere, no framing.
CONTENT_SECURITY_POLICY = portal_defaults.CONTENT_SECURITY_POLICY
SILENCED_SYSTEM_CHECKS = portal_defaults.SILENCED_SYSTEM_CHECKS

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

# One URL (DJANGO_EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587), or the
# separate DJANGO_EMAIL_BACKEND, _HOST, _PORT, _HOST_USER, _HOST_PASSWORD, _USE_TLS.
_email = env_email_settings()
globals().update(_email)
# A stuck mail server must not hold a sign-up or reset request (and its worker): mail leaves
# from a small thread pool (oauth_portal/server/mail_delivery.py), and gives up after 10 s.
EMAIL_TIMEOUT = 10
if env_bool("PORTAL_MAIL_IN_BACKGROUND", True):
    PORTAL_MAIL_DELIVERY_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_BACKEND = "oauth_portal.server.mail_delivery.BackgroundEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Portal ID <noreply@localhost>")

# --- OAuth 2.0 / OpenID Connect (django-oauth-toolkit) -----------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = portal_defaults.OAUTH2_PROVIDER_APPLICATION_MODEL
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = portal_defaults.OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL

PORTAL_ACCESS_TOKEN_SECONDS = env_int("PORTAL_ACCESS_TOKEN_SECONDS", 3600, minimum=60)
PORTAL_REFRESH_TOKEN_SECONDS = env_int("PORTAL_REFRESH_TOKEN_SECONDS", 30 * 24 * 3600, minimum=60)
# New portal apps start pending until an admin approves them (they work for their developer).
PORTAL_REQUIRE_APPROVAL = env_bool("PORTAL_REQUIRE_APPROVAL", False)
# New portal apps start in the sandbox (their developer and listed test users) until an admin
# approves them for production; 0 puts them in production at once.
PORTAL_PRODUCTION_REQUIRES_APPROVAL = env_bool("PORTAL_PRODUCTION_REQUIRES_APPROVAL", True)
# Where the portal playground's server-side calls (token, revocation, JWKS, API) reach this
# server, e.g. http://127.0.0.1:8000 beside gunicorn. Never taken from the Host header. Empty:
# PORTAL_ISSUER's origin if pinned, else (runserver, the test live server) the bound port.
PORTAL_INTERNAL_BASE_URL = env_origin("PORTAL_INTERNAL_BASE_URL")
# How long a process may reuse the signing keys it read from the database before reading again.
PORTAL_SIGNING_KEY_CACHE_SECONDS = env_int("PORTAL_SIGNING_KEY_CACHE_SECONDS", 30)
# Fernet keys (comma-separated) that encrypt the signing keys at rest: the first encrypts, all
# decrypt. Empty: a key derived from DJANGO_SECRET_KEY. See oauth_portal/server/signing_keys.py.
PORTAL_SIGNING_KEY_ENCRYPTION_KEYS = env_fernet_keys("PORTAL_SIGNING_KEY_ENCRYPTION_KEYS")

# Dynamic client registration (RFC 7591): closed unless an admin-issued initial access token
# is sent, or this opens it to anyone; registrations per address (successful ones included).
PORTAL_DYNAMIC_REGISTRATION_OPEN = env_bool("PORTAL_DYNAMIC_REGISTRATION_OPEN", False)
PORTAL_RATELIMIT_REGISTRATION_PER_IP = env_rate(
    "PORTAL_RATELIMIT_REGISTRATION_PER_IP", default="60/h"
)
# Discovery's op_policy_uri and op_tos_uri: absolute URLs or URL names; empty leaves them out.
PORTAL_OP_POLICY_URL = env.str("PORTAL_OP_POLICY_URL", default="")
PORTAL_OP_TOS_URL = env.str("PORTAL_OP_TOS_URL", default="")

# The apps' DOT settings (our hooks, the RFC 9700 flags), with the values our environment sets.
OAUTH2_PROVIDER = {
    **portal_defaults.OAUTH2_PROVIDER,
    "OIDC_ISS_ENDPOINT": env.str("PORTAL_ISSUER", default=""),
    # An https URL as client_id, its metadata document fetched (client_id_documents.py).
    "CIMD_ENABLED": env_bool("PORTAL_CLIENT_ID_METADATA_DOCUMENTS", False),
    "ACCESS_TOKEN_EXPIRE_SECONDS": PORTAL_ACCESS_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": PORTAL_ACCESS_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": PORTAL_REFRESH_TOKEN_SECONDS,
}

# --- Django REST framework and the portal's API docs (drf-spectacular) -------------------------
REST_FRAMEWORK = {**portal_defaults.REST_FRAMEWORK}
SPECTACULAR_SETTINGS = {
    **portal_defaults.SPECTACULAR_SETTINGS,
    "TITLE": "Portal ID APIs",
    "DESCRIPTION": "Resource APIs protected by Portal ID. Call them with "
    "`Authorization: Bearer <access token>`; each operation names the scopes it needs.",
}

# --- CORS --------------------------------------------------------------------------------------
# Browser clients may call only these paths; which origins may do so is decided per request from
# the registered public clients (oauth_portal.server.cors), plus the operator's list below.
CORS_URLS_REGEX = portal_defaults.CORS_URLS_REGEX
PORTAL_CORS_EXTRA_ORIGINS = env.list("PORTAL_CORS_ALLOWED_ORIGINS", default=[])

# --- Metrics (oauth_portal/observability) -------------------------------------------------------
# /metrics answers these networks (loopback by default) or a scraper sending the bearer secret.
LOOPBACK = ["127.0.0.0/8", "::1/128"]
PORTAL_METRICS_ALLOWED_NETWORKS = env_networks("PORTAL_METRICS_ALLOWED_NETWORKS") or LOOPBACK
PORTAL_METRICS_BEARER_TOKEN = env.str("PORTAL_METRICS_BEARER_TOKEN", default="")

# --- Logging -----------------------------------------------------------------------------------
# One JSON line per request (oauth_portal.request) and per audit event (oauth_portal.audit), and
# every other line in JSON too, each with the request id (oauth_portal/observability/logs.py).
# DJANGO_LOG_FORMAT=plain gives text lines, the default with DJANGO_DEBUG=1.
LOGGING = logging_settings(
    log_format=env_choice("DJANGO_LOG_FORMAT", ("plain", "json"), "plain" if DEBUG else "json"),
    level=env.str("DJANGO_LOG_LEVEL", default="INFO"),
)

# --- Two-step verification (oauth_portal/mfa, docs/mfa.md) -------------------------------------
# django-otp's and django-otp-webauthn's settings, as the MFA app needs them.
globals().update(
    {name: getattr(mfa_defaults, name) for name in dir(mfa_defaults) if name[:4] == "OTP_"}
)
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, *mfa_defaults.MFA_SILENCED_SYSTEM_CHECKS]
PORTAL_MFA_REQUIRED_FOR_STAFF = env_bool("PORTAL_MFA_REQUIRED_FOR_STAFF", False)
PORTAL_MFA_REAUTHENTICATE_SECONDS = env_int("PORTAL_MFA_REAUTHENTICATE_SECONDS", 600, minimum=60)
PORTAL_MFA_WEBAUTHN_RP_ID = env.str("PORTAL_MFA_WEBAUTHN_RP_ID", default="")
PORTAL_MFA_WEBAUTHN_ORIGINS = env.list("PORTAL_MFA_WEBAUTHN_ORIGINS", default=[])
