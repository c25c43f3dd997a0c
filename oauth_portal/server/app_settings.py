"""The authorization server's settings, each with its default: a host site sets only what it
changes (our site reads them from the environment in ``oauth_portal/settings.py``).

Read at call time (``app_settings.NAME``), so ``override_settings`` works. DOT's own settings
stay in ``OAUTH2_PROVIDER``.
"""

from oauth_portal.audit.app_settings import settings_reader

DEFAULTS = {
    # The shared cache for bearer checks, and how long a validated token stays in it (0: off).
    "PORTAL_TOKEN_CACHE": "default",
    "PORTAL_BEARER_CACHE_SECONDS": 0,
    # How long a process reuses its snapshot of the API registry and its signing keys.
    "PORTAL_REGISTRY_CACHE_SECONDS": 30,
    "PORTAL_SIGNING_KEY_CACHE_SECONDS": 30,
    # Rate limits (oauth_portal.server.ratelimits): the cache that chooses Redis or the database.
    "PORTAL_RATELIMIT_ENABLE": True,
    "PORTAL_RATELIMIT_CACHE": "default",
    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT": "1200/m",
    "PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP": "2400/m",
    "PORTAL_RATELIMIT_AUTH_FAILURES": "30/m",
    "PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP": "300/m",
    "PORTAL_RATELIMIT_AUTHORIZE_PER_IP": "300/m",
    # Sign-in ceilings (oauth_portal.server.sign_in_protection); the pair lock is django-axes'.
    "PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT": 100,
    "PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT": 20,
    # Keys: the HMAC key of client secrets and the Fernet keys of the signing keys (empty:
    # derived from SECRET_KEY).
    "PORTAL_CLIENT_SECRET_KEY": "",
    "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS": [],
    # New portal apps wait for an admin's approval.
    "PORTAL_REQUIRE_APPROVAL": False,
    # Browser origins allowed besides those registered on public clients.
    "PORTAL_CORS_EXTRA_ORIGINS": [],
    # The host site's pages the sign-in-facing pages link to: URL names or paths (a name that
    # resolves to nothing hides the link). Sign-in is Django's LOGIN_URL.
    "PORTAL_HOME_URL": "/",
    "PORTAL_LOGOUT_URL": "logout",
    "PORTAL_PASSWORD_RESET_URL": "password_reset",
    # Where the authorization endpoint sends a user whose sign-in lacks the second factor an
    # app asks for (acr_values, Application.require_mfa): a URL name or path taking ``next``.
    # A name that resolves to nothing means this site offers no second factor.
    "PORTAL_STEP_UP_URL": "portal_mfa:step-up",
}


__getattr__ = settings_reader(DEFAULTS)
