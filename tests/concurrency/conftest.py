"""Session-wide databases for the concurrency tests.

Migrating and seeding a database costs seconds, so each is prepared once per session; those the
selected tests need are prepared in parallel, in the background, from the first test that asks
for one. The modules start their own servers on them; tests sharing a database only look at the rows
of the tokens they made themselves, or at counts taken just before and after what they do.
"""

import os
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.concurrency.servers import (
    COMMAND_TIMEOUT,
    VENDOR_FIXTURES,
    Database,
    database_prepare,
    postgres_database_create,
    postgres_database_drop,
    postgres_unavailable_reason,
)

POSTGRES_DATABASE_NAME = f"oauth_portal_conc_{os.getpid()}"


class Preparations:
    """Databases being prepared in the background: vendor -> Future, or why it cannot be."""

    def __init__(self, pool: ThreadPoolExecutor, sqlite_path):
        self.pool, self.sqlite_path = pool, sqlite_path
        self.started: dict[str, Future | str] = {}

    def start(self, vendor: str) -> None:
        if vendor in self.started:
            return
        if vendor == "sqlite":
            database = Database(vendor="sqlite", url=f"sqlite:///{self.sqlite_path}")
            self.started[vendor] = self.pool.submit(database_prepare, database)
        else:
            reason = postgres_unavailable_reason()
            self.started[vendor] = reason or self.pool.submit(self._postgres_prepare)

    @staticmethod
    def _postgres_prepare() -> Database:
        return database_prepare(postgres_database_create(POSTGRES_DATABASE_NAME))

    def database(self, vendor: str) -> Database:
        self.start(vendor)
        preparation = self.started[vendor]
        if isinstance(preparation, str):
            pytest.skip(f"the {vendor} concurrency tests need a PostgreSQL server: {preparation}")
        return preparation.result(timeout=2 * COMMAND_TIMEOUT)


def vendors_needed(items) -> set[str]:
    """The databases the selected tests use: by fixture, or by parameter (``deployment``)."""
    return {
        vendor
        for item in items
        for vendor, fixture in VENDOR_FIXTURES.items()
        if fixture in getattr(item, "fixturenames", ())
        or vendor in getattr(getattr(item, "callspec", None), "params", {}).values()
    }


@pytest.fixture(scope="session")
def prepared_databases(request, tmp_path_factory) -> Preparations:
    sqlite_path = tmp_path_factory.mktemp("concurrency-sqlite") / "db.sqlite3"
    with ThreadPoolExecutor(max_workers=2) as pool:
        preparations = Preparations(pool, sqlite_path)
        for vendor in sorted(vendors_needed(request.session.items)):
            preparations.start(vendor)
        try:
            yield preparations
        finally:
            postgres = preparations.started.get("postgresql")
            if isinstance(postgres, Future):
                postgres.exception(timeout=2 * COMMAND_TIMEOUT)
                postgres_database_drop(POSTGRES_DATABASE_NAME)


@pytest.fixture(scope="session")
def sqlite_database(prepared_databases) -> Database:
    return prepared_databases.database("sqlite")


@pytest.fixture(scope="session")
def postgres_database(prepared_databases) -> Database:
    return prepared_databases.database("postgresql")


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("concurrency-logs")
