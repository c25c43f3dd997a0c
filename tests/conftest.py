# Imported now, on the main thread, not first at the end of the run by hypothesis's terminal
# summary: CPython 3.11's compiler keeps one recursion counter per process, and compiling a
# module while a background thread of a test (a live server, a mail or logout sender) compiles
# another can abort the run with "AST constructor recursion depth mismatch".
import hypothesis  # noqa: F401
import pytest
from django.core.cache import caches

from oauth_portal.server import cache_breaker, client_memo, ratelimits, registry
from oauth_portal.server.signing_keys import forget_memoised_keys
from tests.factories import ApplicationFactory, PublicApplicationFactory, UserFactory


def pytest_collection_modifyitems(items):
    """Every transactional test restores the database as it found it (``serialized_rollback``).

    A transactional test without it ends with a flush that re-creates the content types, and
    the next serialized test then fails to restore its snapshot (``UNIQUE constraint failed:
    django_content_type``), with every serialized test after it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: django_db(transaction=True) needs serialized_rollback=True"
            )


@pytest.fixture(autouse=True)
def fast_and_fresh(settings):
    """Fast hashing in tests, and no signing key, registry snapshot or validated token kept
    from a rolled-back test."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "oauth_portal.server.client_secrets.ClientSecretHMACHasher",
        # Secrets hashed before the HMAC hasher existed must keep working.
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    forget_memoised_keys()
    registry.forget()
    ratelimits.forget_client_rates()
    ratelimits.forget_counted_later()
    client_memo.forget()
    cache_breaker.reset()
    yield
    forget_memoised_keys()
    registry.forget()
    ratelimits.forget_client_rates()
    ratelimits.forget_counted_later()
    client_memo.forget()
    cache_breaker.reset()
    caches["tokens"].clear()


@pytest.fixture
def user(db):
    return UserFactory(username="alice", email="alice@example.test")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def app(db):
    return ApplicationFactory()


@pytest.fixture
def public_app(db):
    return PublicApplicationFactory()
