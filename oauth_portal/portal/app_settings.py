"""The developer portal's settings, each with its default: a host site sets only what it changes.

Read at call time (``app_settings.NAME``), so ``override_settings`` works.
"""

from oauth_portal.audit.app_settings import settings_reader

DEFAULTS = {
    # Where the playground's server-side calls reach this server (empty: the pinned issuer's
    # origin, else the port Django's own server bound); never the Host header.
    "PORTAL_INTERNAL_BASE_URL": "",
}


__getattr__ = settings_reader(DEFAULTS)
