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
