import pytest
from django.core.cache import caches

from oauth_portal.server import cache_breaker, ratelimits, registry
from oauth_portal.server.signing_keys import forget_memoised_keys
from tests.factories import ApplicationFactory, PublicApplicationFactory, UserFactory


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
    cache_breaker.reset()
    yield
    forget_memoised_keys()
    registry.forget()
    ratelimits.forget_client_rates()
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
