"""Send one hostile request and see what it did: the answer, and whether any row changed.

Every request runs inside its own savepoint. On PostgreSQL a failed statement aborts the whole
transaction, so without the savepoint one 500 would turn every later request of the same test
(and every later Hypothesis example) into a confusing TransactionManagementError; with it, a
5xx is reported for the request that caused it and the database is back where it was.
"""

import json
import sys
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.signals import got_request_exception
from django.db import connection, transaction
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from apis.models import Color
from oauth_portal.server.models import ClientSecret, Consent, RedeemedCode

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# What hostile input must never change. Audit events (a refusal may be recorded), axes' attempt
# rows, sessions and the rate-limit cache table may legitimately grow, so they are not here.
WATCHED_MODELS = [
    get_access_token_model(),
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
    get_application_model(),
    get_user_model(),
    Consent,
    Color,
    ClientSecret,
    RedeemedCode,
]

# RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7662 §2.3 (which reuse 6749's), RFC 8707 §2
# (invalid_target), and our 429 body.
TOKEN_ENDPOINT_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "rate_limited",
}
REVOCATION_ERRORS = {"invalid_request", "invalid_client", "unsupported_token_type", "rate_limited"}
# RFC 6750 §3.1.
BEARER_ERRORS = {"invalid_request", "invalid_token", "insufficient_scope"}
# RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6, RFC 8707 §2.
AUTHORIZE_REDIRECT_ERRORS = {
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "interaction_required",
    "login_required",
    "account_selection_required",
    "consent_required",
    "invalid_request_uri",
    "invalid_request_object",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
    "invalid_target",
}


# Bookkeeping a request with valid client credentials legitimately updates (when a secret was
# last used); everything else must stay as it was.
BOOKKEEPING_FIELDS = {"client_secret_last_used_at", "last_used_at"}


def _snapshot_queries() -> list[tuple[str, str]]:
    queries = []
    for model in WATCHED_MODELS:
        columns = ", ".join(
            connection.ops.quote_name(f.column)
            for f in model._meta.concrete_fields
            if f.name not in BOOKKEEPING_FIELDS
        )
        table = connection.ops.quote_name(model._meta.db_table)
        queries.append((model._meta.label, f"SELECT {columns} FROM {table}"))  # noqa: S608
    return queries


def database_state() -> dict[str, list[tuple]]:
    """Every row of every watched table: a count misses an update, this does not.

    Raw SQL, because this runs twice around each of thousands of requests.
    """
    state = {}
    with connection.cursor() as cursor:
        for label, sql in _snapshot_queries():
            cursor.execute(sql)
            state[label] = sorted(cursor.fetchall(), key=repr)
    return state


def state_difference(before: dict, after: dict) -> dict[str, str]:
    return {
        label: f"{len(before[label])} rows -> {len(after[label])} rows"
        + ("" if len(before[label]) != len(after[label]) else " (a row was modified)")
        for label in before
        if before[label] != after[label]
    }


class _ServerFailed(Exception):
    """Raised inside the savepoint so that a failed request's writes are rolled back."""


@dataclass
class Exchange:
    """One request and what it did."""

    description: str
    response: object
    changed: dict[str, str] = field(default_factory=dict)
    exception: str = ""
    added: dict[str, int] = field(default_factory=dict)  # rows added (negative: removed)

    @property
    def status(self) -> int:
        return self.response.status_code

    def __str__(self) -> str:
        body = bytes(getattr(self.response, "content", b""))[:300]
        text = f"{self.description} -> {self.status} {body!r}"
        if self.exception:
            text += f"\n  server raised: {self.exception}"
        if self.changed:
            text += f"\n  database changed: {self.changed}"
        return text


def send(
    client,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    content_type=None,
    query: bytes | str | None = None,
    **meta,
) -> Exchange:
    """One request, exactly as given: ``body`` raw bytes, ``query`` a raw query string.

    ``query`` as bytes is put into the WSGI environ undecoded (WSGI carries bytes as latin-1
    text), so invalid UTF-8 and stray ``%`` signs reach Django exactly as a socket would.
    """
    if isinstance(query, bytes):
        meta["QUERY_STRING"] = query.decode("latin-1")
    elif query is not None:
        meta["QUERY_STRING"] = query
    kwargs = {}
    if body is not None:
        kwargs["data"] = body
    if content_type is not None:
        kwargs["content_type"] = content_type
    description = describe(method, path, body, content_type, query, meta)
    raised: list[str] = []

    def remember(sender, request=None, **kwargs):
        exc = sys.exc_info()[1]
        raised.append(f"{type(exc).__name__}: {str(exc)[:300]}")

    client.raise_request_exception = False
    got_request_exception.connect(remember, weak=False)
    before = database_state()
    try:
        with transaction.atomic():
            response = client.generic(method, path, **kwargs, **meta)
            if response.status_code >= 500:
                raise _ServerFailed()
            after = database_state()
            changed = state_difference(before, after)
            added = {
                label: len(after[label]) - len(before[label])
                for label in before
                if len(after[label]) != len(before[label])
            }
    except _ServerFailed:
        changed, added = {}, {}
    finally:
        got_request_exception.disconnect(remember)
    return Exchange(description, response, changed, "; ".join(raised), added)


def describe(method, path, body, content_type, query, meta) -> str:
    def short(value):
        text = repr(value)
        return text if len(text) <= 160 else f"{text[:150]}...({len(value)} long)"

    parts = [f"{method} {path}"]
    if query is not None:
        parts.append(f"query={short(query)}")
    if content_type is not None:
        parts.append(f"content_type={short(content_type)}")
    if body is not None:
        parts.append(f"body={short(body)}")
    parts += [f"{name}={short(value)}" for name, value in meta.items() if name != "QUERY_STRING"]
    return " ".join(parts)


# --- What a refusal must look like, per kind of endpoint -----------------------------------------


def assert_no_server_error(exchange: Exchange) -> None:
    assert exchange.status < 500, f"server error for hostile input:\n{exchange}"


def assert_nothing_changed(exchange: Exchange) -> None:
    assert not exchange.changed, f"hostile input changed the database:\n{exchange}"


def json_body(exchange: Exchange) -> dict:
    try:
        data = json.loads(exchange.response.content)
    except ValueError:
        raise AssertionError(f"error body is not JSON:\n{exchange}") from None
    assert isinstance(data, dict), f"error body is not a JSON object:\n{exchange}"
    return data


def assert_oauth_json_error(exchange: Exchange, allowed: set[str], *, statuses=(400, 401, 429)):
    """A 4xx whose body is a JSON object with an ``error`` code from ``allowed``."""
    assert_no_server_error(exchange)
    assert exchange.status in statuses, f"unexpected status:\n{exchange}"
    error = json_body(exchange).get("error")
    assert error in allowed, f"error {error!r} is not one of {sorted(allowed)}:\n{exchange}"
    if exchange.status == 401:
        assert exchange.response.has_header("WWW-Authenticate") or error != "invalid_client", (
            f"401 invalid_client without WWW-Authenticate:\n{exchange}"
        )
    assert_nothing_changed(exchange)
    return error


def assert_bearer_refusal(exchange: Exchange, *, allowed_statuses=(400, 401, 403)) -> None:
    """RFC 6750 §3: 400/401/403 with a ``WWW-Authenticate: Bearer`` challenge on 401 and 403,
    whose ``error=`` (when present) is one of RFC 6750's codes."""
    assert_no_server_error(exchange)
    assert exchange.status in allowed_statuses, f"unexpected status:\n{exchange}"
    if exchange.status in (401, 403):
        challenge = exchange.response.get("WWW-Authenticate", "")
        assert challenge.startswith("Bearer"), f"no Bearer challenge:\n{exchange}"
        if "error=" in challenge:
            code = challenge.split('error="', 1)[1].split('"', 1)[0]
            assert code in BEARER_ERRORS, f"challenge error {code!r} unknown:\n{exchange}"
    assert_nothing_changed(exchange)


def is_html(exchange: Exchange) -> bool:
    return exchange.response.get("Content-Type", "").startswith("text/html")
