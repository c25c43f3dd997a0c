"""The observability app's settings, each with its default: a host site sets only what it
changes. Read at call time (``app_settings.NAME``), so ``override_settings`` works."""

from oauth_portal.audit.app_settings import settings_reader

DEFAULTS = {
    # Who may read /metrics: these addresses or networks (the scraper's), loopback by default...
    "PORTAL_METRICS_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"],
    # ...or, from anywhere, a request carrying ``Authorization: Bearer <this secret>`` (empty: off).
    "PORTAL_METRICS_BEARER_TOKEN": "",
    # The header a proxy passes its request id in (nginx: ``proxy_set_header X-Request-ID
    # $request_id``). A value that is not 1-128 letters, digits, ``.``, ``_`` or ``-`` is
    # replaced by a new id, so a client cannot inject text into the logs through it.
    "PORTAL_REQUEST_ID_HEADER": "X-Request-ID",
}

__getattr__ = settings_reader(DEFAULTS)
