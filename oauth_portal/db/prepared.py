"""The cursor the compiled hot-path SQL runs on: a prepared statement on PostgreSQL.

PostgreSQL parses and plans every statement it is sent as text. For the token endpoint's reads
that costs more of the database's CPU than running them: measured with the database's own CPU
time, the client's read took 200 µs as text and 90 µs prepared, and the scopes a client may ask
for (three joins and a subquery) 1,340 µs as text and 200 µs prepared. On a machine where the
database shares the cores with the workers, that is the difference between the endpoints'
throughputs. The compiled statements are few (some twenty) and never change, which is what
prepared statements are for: each connection prepares each one once, on first use, and from
then on sends only its name and the values (server-side binding; psycopg keeps up to 100 per
connection). A rollback, a savepoint's included, makes psycopg drop them all: the connection's
next requests prepare them again, one extra round trip each the first time.

Django's own queries keep its client-side binding cursor, which never prepares. Prepared
statements are on when the database's ``OPTIONS`` give psycopg a ``prepare_threshold`` (the
settings do, unless ``DJANGO_DB_PREPARED_STATEMENTS=0``: switch them off behind a pooler that
cannot carry them, such as PgBouncer in transaction mode before 1.21). Without one, and on
SQLite, this is Django's cursor.
"""

from functools import cache

from django.db import connections
from django.db.backends.utils import CursorWrapper
from psycopg.pq import ExecStatus


def cursor(using: str) -> CursorWrapper:
    """A cursor of database ``using`` whose statements are prepared where the database can."""
    connection = connections[using]
    if not _prepares(connection):
        return connection.cursor()
    return _preparing_cursor(connection)


def run_all(using: str, statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """Run ``statements`` (SQL and parameters) in order; the rows each one returned (none for a
    statement without a result, such as an ``UPDATE`` without ``RETURNING``).

    On PostgreSQL they cost one round trip: prepared, in psycopg's pipeline mode (every
    statement is sent before any result is read); with prepared statements off, as one text
    ``a; b``, which client-side binding allows, each result read in turn. Elsewhere, one after
    the other. A failing statement raises and the rest are not run.
    """
    connection = connections[using]
    if len(statements) > 1 and _prepares(connection):
        return _pipelined(connection, statements)
    if len(statements) > 1 and _several_statements_in_one_text(connection):
        return _as_one_text(connection, statements)
    rows = []
    with cursor(using) as each:
        for sql, params in statements:
            each.execute(sql, params)
            rows.append(_rows_of(each))
    return rows


def sends_together(using: str) -> bool:
    """Whether ``run_all`` sends several statements in one round trip on database ``using``
    (elsewhere it runs them one after the other, and a read nobody needs is a statement lost)."""
    return connections[using].vendor == "postgresql"


def _prepares(connection) -> bool:
    if connection.vendor != "postgresql" or connection.queries_logged:
        # Where Django records the queries (DEBUG, a test capturing them) its own cursor, whose
        # log shows each statement with its values.
        return False
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    # None: switched off (Django's default), or psycopg2, which has no threshold.
    return getattr(connection.connection, "prepare_threshold", None) is not None


def _preparing_cursor(connection) -> CursorWrapper:
    with connection.wrap_database_errors:
        driver_cursor = _preparing_cursor_class()(connection.connection)
    connection.validate_thread_sharing()
    return connection.make_cursor(driver_cursor)


def _rows_of(executed) -> list[tuple]:
    """The rows a statement returned; none for one that returns none (an ``UPDATE`` without
    ``RETURNING``). psycopg is asked for its result's status, not for ``description``, which
    builds a description of every column: for a client's row (some forty columns) that cost
    more CPU than reading the row."""
    driver = executed.cursor
    if hasattr(driver, "pgresult"):  # psycopg
        returned = driver.pgresult is not None and driver.pgresult.status == ExecStatus.TUPLES_OK
    else:
        returned = driver.description is not None
    return executed.fetchall() if returned else []


def _pipelined(connection, statements: list[tuple[str, list]]) -> list[list[tuple]]:
    cursors = [_preparing_cursor(connection) for _ in statements]
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for each, (sql, params) in zip(cursors, statements, strict=True):
                each.execute(sql, params)
        return [_rows_of(each) for each in cursors]
    finally:
        for each in cursors:
            each.close()


def _several_statements_in_one_text(connection) -> bool:
    """PostgreSQL with client-side binding (Django's default cursor) runs ``a; b`` in one go."""
    options = connection.settings_dict.get("OPTIONS") or {}
    return connection.vendor == "postgresql" and not options.get("server_side_binding")


def _as_one_text(connection, statements: list[tuple[str, list]]) -> list[list[tuple]]:
    rows = []
    with connection.cursor() as together:
        together.execute(
            "; ".join(sql for sql, _ in statements),
            [param for _, params in statements for param in params],
        )
        for index in range(len(statements)):
            if index:
                together.nextset()
            rows.append(_rows_of(together))
    return rows


@cache
def _preparing_cursor_class():
    """Django's server-side binding cursor, made to prepare every statement it runs."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor
