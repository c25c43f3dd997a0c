"""Fixtures and helpers the portal tests share (imported by tests/oauth_portal/test_portal_*.py)."""

from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from requests.structures import CaseInsensitiveDict

from oauth_portal.portal import playground as portal_playground
from oauth_portal.portal import services
from oauth_portal.server.models import Application
from tests.factories import UserFactory

# What the test modules take with `import *`: the fixtures (pytest finds them by name there).
__all__ = [
    "developer",
    "in_process_http",
    "other_developer",
    "portal",
    "spa_app",
    "web_app",
]

PORTAL_HOST = "https://testserver"
PLAYGROUND_CALLBACK = f"{PORTAL_HOST}/portal/playground/callback"


class HttpsClient(Client):
    """Django's test client, every request over https as in production (the portal's
    playground callback must be an https redirect URI off loopback)."""

    def generic(self, *args, secure=True, **kwargs):
        return super().generic(*args, secure=True, **kwargs)


class DjangoClientAdapter(requests.adapters.BaseAdapter):
    """Serves the playground's outgoing HTTP requests with Django's test client, in the same
    thread and database transaction as the test: our endpoints without a live server."""

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        meta = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in request.headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        response = HttpsClient().generic(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            data=request.body or "",
            content_type=request.headers.get("Content-Type", ""),
            **meta,
        )
        answer = requests.Response()
        answer.status_code = response.status_code
        answer._content = response.content
        answer.headers = CaseInsensitiveDict(response.headers)
        answer.url = request.url
        answer.request = request
        answer.encoding = "utf-8"
        return answer

    def close(self):
        pass


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


def register(owner, **fields):
    """An app registered as the portal does it; returns ``(application, plain_secret)``."""
    values = {
        "name": "Palette",
        "kind": Application.Kind.WEB,
        "redirect_uris": ["https://palette.example.test/callback"],
        "post_logout_redirect_uris": [],
        "allowed_origins": [],
        "playground_enabled": False,
        "playground_callback_url": PLAYGROUND_CALLBACK,
    }
    return services.portal_application_register(owner=owner, **{**values, **fields})


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
