"""The developer portal's settings, each with its default: a host site sets only what it changes.

Read at call time (``app_settings.NAME``), so ``override_settings`` works.
"""

from django.conf import settings

DEFAULTS = {
    # Where the playground's server-side calls reach this server (empty: the pinned issuer's
    # origin, else the port Django's own server bound); never the Host header.
    "PORTAL_INTERNAL_BASE_URL": "",
}


def __getattr__(name: str):
    try:
        default = DEFAULTS[name]
    except KeyError:
        raise AttributeError(name) from None
    return getattr(settings, name, default)
