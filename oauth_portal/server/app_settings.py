"""The authorization server's settings, each with its default: a host site sets only what it
changes (our site reads them from the environment in ``oauth_portal/settings.py``).

Read at call time (``app_settings.NAME``), so ``override_settings`` works. DOT's own settings
stay in ``OAUTH2_PROVIDER``.
"""

from oauth_portal.audit.app_settings import settings_reader

DEFAULTS = {
    # The backend BackgroundEmailBackend hands mail to (mail_delivery.py).
    "PORTAL_MAIL_DELIVERY_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
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
    # The device flow (RFC 8628): how long a device code and its user code live, and the
    # failed user-code entries allowed per address and per signed-in user before a pause.
    "PORTAL_DEVICE_CODE_EXPIRE_SECONDS": 600,
    "PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_IP": "100/10m",
    "PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_USER": "10/10m",
    # Back-channel logout (logout_notifications.py): each POST's timeout, and whether apps
    # may be notified at loopback, private or link-local addresses (development, one network).
    "PORTAL_BACKCHANNEL_LOGOUT_TIMEOUT_SECONDS": 5,
    "PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES": False,
    # New portal apps wait for an admin's approval.
    "PORTAL_REQUIRE_APPROVAL": False,
    # Apps registered in the portal start in the sandbox (their developer and listed test users
    # only) until an admin approves them for production; False: production at once.
    "PORTAL_PRODUCTION_REQUIRES_APPROVAL": True,
    # Who may approve or reject a subscription to an API: a callable's import path, called with
    # ``actor`` and ``subscription`` (oauth_portal.server.subscriptions). By default staff with
    # the permission, and the API's publisher.
    "PORTAL_SUBSCRIPTION_DECIDER": (
        "oauth_portal.server.subscriptions.staff_or_publisher_may_decide"
    ),
    # Count each app's calls to our APIs per day (oauth_portal/server/api_usage.py).
    "PORTAL_API_USAGE_COUNTING": True,
    # How often each process writes the calls it counted (0: on every call).
    "PORTAL_API_USAGE_FLUSH_SECONDS": 10,
    # Browser origins allowed besides those registered on public clients.
    "PORTAL_CORS_EXTRA_ORIGINS": [],
    # The host site's pages the sign-in-facing pages link to: URL names or paths (a name that
    # resolves to nothing hides the link). Sign-in is Django's LOGIN_URL.
    "PORTAL_HOME_URL": "/",
    "PORTAL_LOGOUT_URL": "logout",
    "PORTAL_PASSWORD_RESET_URL": "password_reset",
    # Dynamic client registration (RFC 7591): open to anyone, or (the default) only with an
    # initial access token issued in the admin; registrations per address (successful ones
    # too: each creates a client).
    "PORTAL_DYNAMIC_REGISTRATION_OPEN": False,
    "PORTAL_RATELIMIT_REGISTRATION_PER_IP": "60/h",
    # Discovery's human-readable links: URL names or absolute URLs; empty omits the entry.
    "PORTAL_SERVICE_DOCUMENTATION_URL": "portal:index",
    "PORTAL_RESOURCE_DOCUMENTATION_URL": "portal:apis",
    "PORTAL_OP_POLICY_URL": "",
    "PORTAL_OP_TOS_URL": "",
    # Where the authorization endpoint sends a user whose sign-in lacks the second factor an
    # app asks for (acr_values, Application.require_mfa): a URL name or path taking ``next``.
    # A name that resolves to nothing means this site offers no second factor.
    "PORTAL_STEP_UP_URL": "portal_mfa:step-up",
}


__getattr__ = settings_reader(DEFAULTS)
