"""The access token row a token request has just written, handed from the validator to the view.

DOT's token view sends its ``app_authorized`` signal with the access token's row, which it finds
by reading the row back by its checksum: one more query on every token issued, for a row our
validator held a moment before. The view opens ``issued_access_token_capture()`` around the
request; the validator reports the row it created; outside a capture nothing is kept.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class IssuedAccessToken:
    row: object | None = None


_capture: ContextVar[IssuedAccessToken | None] = ContextVar("portal_issued_token", default=None)


@contextmanager
def issued_access_token_capture():
    """Collect the access token row the code inside writes (``None`` when it writes none)."""
    issued = IssuedAccessToken()
    reset = _capture.set(issued)
    try:
        yield issued
    finally:
        _capture.reset(reset)


def access_token_issued(row) -> None:
    if (issued := _capture.get()) is not None:
        issued.row = row
