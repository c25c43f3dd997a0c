"""Fixtures the portal tests ask for by name."""

import pytest
import requests

from oauth_portal.portal import playground as portal_playground
from oauth_portal.server.models import Application
from tests.factories import UserFactory
from tests.portal.helpers import PORTAL_HOST, DjangoClientAdapter, HttpsClient, register


@pytest.fixture
def in_process_http(monkeypatch):
    """The playground's HTTP calls to https://testserver/ answered by our own views."""
    sent = []

    def session():
        http = requests.Session()
        http.mount(f"{PORTAL_HOST}/", DjangoClientAdapter())
        http.hooks["response"].append(lambda response, **kwargs: sent.append(response.request))
        return http

    monkeypatch.setattr(portal_playground, "http_session", session)
    return sent


@pytest.fixture
def developer(db):
    return UserFactory(username="devon", email="devon@example.test")


@pytest.fixture
def other_developer(db):
    return UserFactory(username="mallory", email="mallory@example.test")


@pytest.fixture
def portal(developer, settings):
    # The playground's server-side calls go here (in_process_http answers them).
    settings.PORTAL_INTERNAL_BASE_URL = PORTAL_HOST
    client = HttpsClient()
    client.force_login(developer)
    return client


@pytest.fixture
def web_app(developer):
    return register(developer, playground_enabled=True)


@pytest.fixture
def spa_app(developer):
    app, _secret = register(
        developer,
        name="Palette SPA",
        kind=Application.Kind.SPA,
        redirect_uris=["https://spa.example.test/callback"],
        allowed_origins=["https://spa.example.test"],
        playground_enabled=True,
    )
    return app
