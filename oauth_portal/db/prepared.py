"""The cursor the compiled hot-path SQL runs on: a prepared statement on PostgreSQL.

PostgreSQL parses and plans every statement it is sent as text. For the token endpoint's reads
that costs more of the database's CPU than running them: measured with the database's own CPU
time, the client's read took 200 µs as text and 90 µs prepared, and the scopes a client may ask
for (three joins and a subquery) 1,340 µs as text and 200 µs prepared. On a machine where the
database shares the cores with the workers, that is the difference between the endpoints'
throughputs. The compiled statements are few (some twenty) and never change, which is what
prepared statements are for: each connection prepares each one once, on first use, and from
then on sends only its name and the values (server-side binding; psycopg keeps up to 100 per
connection and re-prepares after a rollback, which clears them).

Django's own queries keep its client-side binding cursor, which never prepares. Prepared
statements are on when the database's ``OPTIONS`` give psycopg a ``prepare_threshold`` (the
settings do, unless ``DJANGO_DB_PREPARED_STATEMENTS=0``: switch them off behind a pooler that
cannot carry them, such as PgBouncer in transaction mode before 1.21). Without one, and on
SQLite, this is Django's cursor.
"""

from functools import cache

from django.db import connections
from django.db.backends.utils import CursorWrapper


def cursor(using: str) -> CursorWrapper:
    """A cursor of database ``using`` whose statements are prepared where the database can."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.queries_logged:
        # Where Django records the queries (DEBUG, a test capturing them) its own cursor, whose
        # log shows each statement with its values.
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    driver_connection = connection.connection
    if getattr(driver_connection, "prepare_threshold", None) is None:  # off, or psycopg2
        return connection.cursor()
    with connection.wrap_database_errors:
        driver_cursor = _preparing_cursor_class()(driver_connection)
    connection.validate_thread_sharing()
    return connection.make_cursor(driver_cursor)


@cache
def _preparing_cursor_class():
    """Django's server-side binding cursor, made to prepare every statement it runs."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor
