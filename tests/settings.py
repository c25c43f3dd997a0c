"""Test settings: the production settings, run with debug off, plus what tests need to start.

Only environment defaults are set here (a throwaway secret key, the test client's host, no https
redirect for the plain-http test client); everything else is exactly what production runs.
"""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "tests-only-secret-key-" + "q8Zr2vLx7Wm4Kp9Tn3Hs6Jd1Fb5Gc0Ye"
)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Tests read the outbox as soon as the request returns: mail is sent inside it.
os.environ.setdefault("PORTAL_MAIL_IN_BACKGROUND", "0")

from oauth_portal.settings import *  # noqa: E402,F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# The suite sends hundreds of deliberate 4xx requests; logging each is noise (and a live-server
# thread logging after pytest closed its captured stream prints a spurious traceback).
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
LOGGING["loggers"]["django.server"] = {"level": "ERROR"}  # noqa: F405
# One line per request and per audit event: the tests that read them turn them on.
LOGGING["loggers"]["oauth_portal.request"] = {"level": "WARNING"}  # noqa: F405
LOGGING["loggers"]["oauth_portal.audit"] = {"level": "WARNING"}  # noqa: F405

# Live-server threads must not keep PostgreSQL connections open, or the test database cannot be
# dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Validated bearer tokens are cached as production does with Redis (every API test then goes
# through the cache and its revocation tombstones); a per-process cache stands in for Redis.
CACHES["tokens"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}  # noqa: F405
PORTAL_TOKEN_CACHE = "tokens"
PORTAL_BEARER_CACHE_SECONDS = 60
