"""On PostgreSQL the compiled hot-path SQL runs as prepared statements (oauth_portal/db/
prepared.py): each connection prepares each statement once, then sends only its name and its
values; with psycopg's threshold unset (``DJANGO_DB_PREPARED_STATEMENTS=0``) nothing is
prepared, and a rollback, which drops them, does not break the next request."""

import pytest
from django.db import connection, transaction

from tests.oauth_helpers import get_code, redeem

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


@pytest.mark.django_db
def test_nothing_is_prepared_without_a_threshold(signed_in, app, monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    before = prepared_statements()

    exchange_a_code(signed_in, app)

    assert prepared_statements() == before


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
