"""JSON log lines (python-json-logger) that carry the id of the request being served.

``LOGGING`` in a site's settings uses ``RequestIdFilter`` on its handler and ``JSON_FORMATTER``
as its formatter (see ``oauth_portal/settings.py``): every line, from any logger, then names the
request it belongs to, so one request's lines can be found together and matched with the
proxy's access log (which logs the same ``X-Request-ID``).
"""

import logging

from oauth_portal.observability import request_context

# For LOGGING["formatters"]: python-json-logger with the fields every line has.
JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    "timestamp": False,
}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_context.request_id()
        return True


def logging_settings(*, log_format: str, level: str) -> dict:
    """Django's ``LOGGING``: one JSON line per request (``oauth_portal.request``) and per audit
    event (``oauth_portal.audit``), every other line in JSON too (``log_format="plain"`` for
    text), each with the request id."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "oauth_portal.observability.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": JSON_FORMATTER,
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # oauthlib logs request bodies (codes, secrets) at DEBUG: never in the logs.
            "oauthlib": {"level": "WARNING"},
            "oauth2_provider": {"level": "WARNING"},
            # runserver's own access line repeats ours.
            "django.server": {"level": "WARNING"},
        },
    }
