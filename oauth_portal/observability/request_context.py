"""What the log line of the request being served carries: its id, and what the apps learn
while serving it (the client it is for, the user). One ContextVar, set by the request-log
middleware around each request, so any code may ``bind`` without holding the request."""

from contextvars import ContextVar
from typing import Any

_fields: ContextVar[dict[str, Any] | None] = ContextVar("portal_request_fields", default=None)


def start(**fields: Any):
    """Open a fresh context for one request; returns the token ``end`` needs."""
    return _fields.set(dict(fields))


def end(token) -> None:
    _fields.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the current request's log line; outside a request it does nothing. A field
    already bound keeps its first value (the client a request named stays its client)."""
    current = _fields.get()
    if current is None:
        return
    for name, value in fields.items():
        if value not in (None, "") and name not in current:
            current[name] = value


def fields() -> dict[str, Any]:
    return dict(_fields.get() or {})


def request_id() -> str | None:
    return (_fields.get() or {}).get("request_id")
