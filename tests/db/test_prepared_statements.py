"""On PostgreSQL the compiled hot-path SQL runs as prepared statements (oauth_portal/db/
prepared.py): each connection prepares each statement once, then sends only its name and its
values; a token request's held-back writes reach it together, in one round trip; with
psycopg's threshold unset (``DJANGO_DB_PREPARED_STATEMENTS=0``) nothing is prepared, and a
rollback, which drops them, does not break the next request."""

import tempfile
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from tests.oauth_helpers import basic_auth, get_code, mint_access_token, redeem

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def exchange_a_code(client, app) -> None:
    code, verifier = get_code(client, app, scope="openid colors:read", prompt="consent")
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    assert "id_token" in response.json()


def hot_path_statements(statements: list[str]) -> dict[str, int]:
    """How often the client's read and the access token's insert are prepared."""
    return {
        "client read": sum('FROM "portal_server_application"' in sql for sql in statements),
        "token insert": sum(
            sql.startswith('INSERT INTO "oauth2_provider_accesstoken"') for sql in statements
        ),
    }


@pytest.mark.django_db
def test_a_code_exchange_prepares_its_statements_once_and_then_reuses_them(signed_in, app):
    exchange_a_code(signed_in, app)
    first = prepared_statements()

    exchange_a_code(signed_in, app)

    assert hot_path_statements(first) == {"client read": 1, "token insert": 1}
    assert sorted(prepared_statements()) == sorted(first)  # nothing prepared again


@contextmanager
def protocol_messages():
    """What psycopg sends PostgreSQL and what it answers meanwhile (libpq's trace): a list of
    (direction, message type, rest of the line), filled when the block ends."""
    from psycopg import pq

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    messages = []
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield messages
        finally:
            pgconn.untrace()
            trace.seek(0)
            for line in trace.read().splitlines():
                direction, _length, kind, *rest = line.split("\t") + [""]
                messages.append((direction, kind, rest[0]))


def round_trips(messages) -> list[list[tuple[str, str]]]:
    """The messages sent, grouped by the server's answer that ends each exchange."""
    trips, current = [], []
    for direction, kind, rest in messages:
        if direction == "F":
            current.append((kind, rest))
        elif kind == "ReadyForQuery":
            trips.append(current)
            current = []
    return trips


@pytest.mark.django_db
def test_a_code_exchange_sends_its_held_back_writes_together_as_prepared_statements(signed_in, app):
    exchange_a_code(signed_in, app)  # prepares the statements on this connection
    code, verifier = get_code(signed_in, app, scope="openid colors:read", prompt="consent")

    with protocol_messages() as messages:
        response = redeem(signed_in, app, code, verifier)

    assert response.status_code == 200
    trips = round_trips(messages)
    binds = [[rest for kind, rest in trip if kind == "Bind"] for trip in trips]
    # The session tie, the redeemed code, the consent's last use, the audit event, the code and
    # its sign-in record: six statements, one round trip.
    assert max(len(trip) for trip in binds) == 6
    # Every statement runs a named prepared statement, none is prepared a second time.
    assert all(bind.split()[1].startswith('"_pg3_') for trip in binds for bind in trip)
    assert not [rest for trip in trips for kind, rest in trip if kind == "Parse"]


@pytest.mark.django_db
def test_an_introspection_reads_client_token_served_apis_and_roles_in_one_round_trip(
    client, user, app
):
    """The four reads need no answer from each other (``introspection.ReadAhead``)."""
    from tests.server.role_helpers import colors_api, role_with

    role_with(colors_api(), "editor", "colors:read", holders=[user])
    token = mint_access_token(user=user, app=app, scope="colors:read")

    def introspect():
        return client.post(
            "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
        )

    introspect()  # prepares the statements on this connection
    with protocol_messages() as messages:
        response = introspect()

    assert response.json()["roles"] == ["editor"]
    binds = [[rest for kind, rest in trip if kind == "Bind"] for trip in round_trips(messages)]
    assert [len(trip) for trip in binds if trip] == [4]
    # Each runs a statement the first introspection prepared: nothing parsed again.
    assert all(bind.split()[1].startswith('"_pg3_') for trip in binds for bind in trip)
    assert not [rest for direction, kind, rest in messages if kind == "Parse"]


@pytest.mark.django_db
def test_a_client_credentials_token_and_its_audit_event_are_written_in_one_round_trip(client):
    """No row links to an opaque client-credentials token, so it waits for the request's other
    writes instead of costing a round trip of its own."""
    from tests.factories import ApplicationFactory
    from tests.oauth_helpers import token_request

    service = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )
    body = {"grant_type": "client_credentials", "scope": "colors:read"}
    assert token_request(client, service, body).status_code == 200  # prepares the statements

    with protocol_messages() as messages:
        response = token_request(client, service, body)

    assert response.status_code == 200
    trips = round_trips(messages)
    binds = [[rest for kind, rest in trip if kind == "Bind"] for trip in trips]
    assert [len(trip) for trip in binds if trip][-1] == 2  # the token row, then the audit event
    assert max(len(trip) for trip in binds) == 2


@pytest.mark.django_db
def test_without_a_threshold_nothing_is_prepared_and_the_writes_still_go_together(
    signed_in, app, monkeypatch
):
    # What a pooler that cannot carry prepared statements needs (DJANGO_DB_PREPARED_STATEMENTS=0).
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    before = prepared_statements()
    code, verifier = get_code(signed_in, app, scope="openid colors:read", prompt="consent")

    with protocol_messages() as messages:
        response = redeem(signed_in, app, code, verifier)

    assert response.status_code == 200
    assert prepared_statements() == before
    sent = [(kind, rest) for direction, kind, rest in messages if direction == "F"]
    assert not [rest for kind, rest in sent if kind == "Parse" and '"_pg3_' in rest]
    # The held-back writes: one text, several statements, one round trip.
    [together] = [rest for kind, rest in sent if kind == "Query" and "; " in rest]
    assert 'DELETE FROM "oauth2_provider_grant"' in together
    assert 'INSERT INTO "portal_audit_auditevent"' in together


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requests_after_a_rollback_prepare_their_statements_again(signed_in, app):
    exchange_a_code(signed_in, app)
    assert hot_path_statements(prepared_statements()) == {"client read": 1, "token insert": 1}

    with pytest.raises(RuntimeError), transaction.atomic():
        connection.cursor().execute("SELECT 1")
        raise RuntimeError("rolled back")  # psycopg drops the session's prepared statements

    assert hot_path_statements(prepared_statements()) == {"client read": 0, "token insert": 0}
    exchange_a_code(signed_in, app)
    assert hot_path_statements(prepared_statements()) == {"client read": 1, "token insert": 1}
