"""The audit app's settings, each with its default: a host site sets only what it changes.

Read at call time (``app_settings.NAME``), so ``override_settings`` works.
"""

from django.conf import settings

DEFAULTS = {
    # Proxies in front of the site that append to X-Forwarded-For (see client_address.py).
    "PORTAL_TRUSTED_PROXY_COUNT": 0,
    # Addresses or networks exempt from per-address failure ceilings (known offices).
    "PORTAL_RATELIMIT_ADDRESS_ALLOWLIST": [],
}


def __getattr__(name: str):
    try:
        default = DEFAULTS[name]
    except KeyError:
        raise AttributeError(name) from None
    return getattr(settings, name, default)
