"""The settings a site needs to run the authorization server, the portal and the API classes.

A host site imports them in its settings module, after its own ``INSTALLED_APPS`` and
``MIDDLEWARE``::

    from oauth_portal.server.defaults import *  # noqa: F403

    INSTALLED_APPS += PORTAL_INSTALLED_APPS
    MIDDLEWARE = PORTAL_MIDDLEWARE

and changes only what it must (``OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT":
...}``). Our own site reads the same values (``oauth_portal/settings.py``), so there is one
source. Settings import this module: it imports no models and reads no environment; the apps'
``PORTAL_*`` settings have their defaults in each app's ``app_settings`` module.
"""

from datetime import timedelta

from oauth_portal.server.user_codes import user_code_generate

__all__ = [
    "AUTHENTICATION_BACKENDS",
    "AXES_CLIENT_IP_CALLABLE",
    "AXES_COOLOFF_TIME",
    "AXES_DISABLE_ACCESS_LOG",
    "AXES_FAILURE_LIMIT",
    "AXES_HANDLER",
    "AXES_LOCKOUT_CALLABLE",
    "AXES_LOCKOUT_PARAMETERS",
    "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT",
    "AXES_RESET_ON_SUCCESS",
    "AXES_USERNAME_CALLABLE",
    "CONTENT_SECURITY_POLICY",
    "CORS_URLS_REGEX",
    "OAUTH2_PROVIDER",
    "OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL",
    "OAUTH2_PROVIDER_APPLICATION_MODEL",
    "PASSWORD_HASHERS",
    "PORTAL_INSTALLED_APPS",
    "PORTAL_MIDDLEWARE",
    "PORTAL_SQLITE_OPTIONS",
    "REST_FRAMEWORK",
    "SILENCED_SYSTEM_CHECKS",
    "SPECTACULAR_SETTINGS",
]

# The apps to add to INSTALLED_APPS (the third-party ones they build on, then ours). The sample
# Colors API ("apis") is not among them: a host adds it only to serve /api/colors/.
PORTAL_INSTALLED_APPS = [
    "corsheaders",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "axes",
    "oauth_portal.audit",
    "oauth_portal.observability",
    "oauth_portal.server",
    "oauth_portal.portal",
]

# Django's default middleware (``startproject``'s list) with ours in the places they need.
PORTAL_MIDDLEWARE = [
    # First: its duration covers the whole stack, and every line logged carries the request id.
    "oauth_portal.observability.middleware.RequestLogMiddleware",
    # A database that does not answer: a 503 with Retry-After instead of a 500, for every 500
    # raised below it (server/database_unavailable.py).
    "oauth_portal.server.database_unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware, as django-cors-headers asks: preflights get their headers.
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
    # Remembers on this browser the accounts signed in here (sign_in_protection.py).
    "oauth_portal.server.sign_in_protection.KnownDeviceMiddleware",
]

# DATABASES["default"]["OPTIONS"] on SQLite. Concurrent writers (several gunicorn workers racing
# to redeem one code) must queue, not fail: WAL lets readers run beside the writer, the busy
# timeout makes writers wait, and IMMEDIATE transactions take the write lock up front so
# read-then-write races serialise.
PORTAL_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

# axes first: it refuses a locked account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "oauth_portal.server.sign_in_protection.SignInProtectionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Django's default hasher stays first (user passwords); ours hashes client secrets only, selected
# by OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"] (see client_secrets.py for why).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "oauth_portal.server.client_secrets.ClientSecretHMACHasher",
]

# --- Sign-in brute force (django-axes plus sign_in_protection.py) ------------------------------
# AXES_FAILURE_LIMIT failures for one username from one address lock that pair for
# AXES_COOLOFF_TIME (never forever: a lock must end by itself); our ceilings per address and per
# account (PORTAL_SIGN_IN_*_FAILURE_LIMIT) come on top. Tries during a lock are refused before
# any password is checked and do not extend it.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "oauth_portal.server.sign_in_lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "oauth_portal.server.sign_in_lockout.client_address_bucket"
AXES_USERNAME_CALLABLE = "oauth_portal.server.sign_in_lockout.attempted_username"
# The audit log records every sign-in already; axes keeps only what it needs to decide a lock.
AXES_DISABLE_ACCESS_LOG = True

# --- OAuth 2.0 / OpenID Connect (django-oauth-toolkit) -----------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "portal_server.Application"
# DOT's own (the default), named because our JwtAccessToken points at it.
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"

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
    "REFRESH_TOKEN_GENERATOR": "oauth_portal.server.access_tokens.random_token",
    "OIDC_ENABLED": True,
    # No OIDC_RSA_PRIVATE_KEY / _KEYS_INACTIVE: the signing keys live in the database
    # (portal_server.SigningKey) and reach DOT through our Application.jwk_key and JWKS view.
    # Empty: the issuer follows the host and port the server is reached on. Pin it in production.
    "OIDC_ISS_ENDPOINT": "",
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
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ],
    # The device flow (RFC 8628, oauth_portal/server/device_flow.py): short unambiguous user
    # codes; the poll interval. The verification URIs are made absolute per request, and the
    # poll checks are our server class's (DOT's pre-token hook reads plain device codes).
    "OAUTH_DEVICE_USER_CODE_GENERATOR": user_code_generate,
    "OAUTH_PRE_TOKEN_VALIDATION": [],
    "DEVICE_FLOW_INTERVAL": 5,
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 30 * 24 * 3600,
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
    # RFC 7591/7592 at /o/register/ (our views): listed in discovery; closed unless an initial
    # access token or PORTAL_DYNAMIC_REGISTRATION_OPEN opens it.
    "DCR_ENABLED": True,
    # Client ID metadata documents (an https URL as client_id): off unless the operator turns
    # them on; fetched by our SSRF-hardened fetcher with tight limits (client_id_documents.py).
    "CIMD_ENABLED": False,
    "CIMD_METADATA_FETCHER": "oauth_portal.server.client_id_documents.PortalMetadataFetcher",
    "CIMD_FETCH_TIMEOUT_SECONDS": 3,
    "CIMD_MAX_DOCUMENT_SIZE": 5 * 1024,
    # Our admin classes: services for every change, and never a secret or token value on screen.
    "APPLICATION_ADMIN_CLASS": "oauth_portal.server.admin.clients.ApplicationAdmin",
    "ACCESS_TOKEN_ADMIN_CLASS": "oauth_portal.server.admin.tokens.AccessTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "oauth_portal.server.admin.tokens.RefreshTokenAdmin",
    "GRANT_ADMIN_CLASS": "oauth_portal.server.admin.tokens.GrantAdmin",
    "ID_TOKEN_ADMIN_CLASS": "oauth_portal.server.admin.tokens.IDTokenAdmin",
}

SILENCED_SYSTEM_CHECKS = [
    # DOT's RFC 9700 redirect-scheme check flags any "http" scheme. We keep "http" only for
    # RFC 8252 loopback redirects (http://127.0.0.1:<port>), which Application.clean() enforces.
    "oauth2_provider.W008",
]

# --- Django REST framework: the bearer classes for a host's own APIs (apis/) ------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apis.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apis.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "apis.exceptions.bearer_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # OpenAPI 3 for the portal's API catalogue (drf-spectacular).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- The portal's API catalogue (drf-spectacular) ----------------------------------------------
# OpenAPI 3 generated from the DRF views, with the authorization-code flow as the security
# scheme; Swagger UI and its assets come from drf-spectacular-sidecar (static files, no CDN). The
# endpoints, scopes and absolute URLs are filled in by oauth_portal.portal.openapi.
SPECTACULAR_SETTINGS = {
    "TITLE": "APIs",
    "DESCRIPTION": "Call these APIs with `Authorization: Bearer <access token>`; each operation "
    "names the scopes it needs.",
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
        "oauth_portal.portal.openapi.registered_operations",
    ],
}

# --- CORS: browser clients may call only these paths; which origins may is decided per request
# from the registered public clients (cors.py), plus PORTAL_CORS_EXTRA_ORIGINS.
CORS_URLS_REGEX = r"^/(o/(token|userinfo|revoke_token|register)/|api/).*$"

# --- Content-Security-Policy (django-csp 4): no inline script on any of the apps' pages, no
# framing. Inline styles are allowed (the admin uses style attributes); images may come from
# https (app logos).
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
