"""Helpers the portal tests share; their fixtures are in conftest.py."""

from urllib.parse import parse_qs, urlsplit

import requests
from django.test import Client
from django.urls import reverse
from requests.structures import CaseInsensitiveDict

from oauth_portal.portal import services
from oauth_portal.server.models import Application
from tests.oauth_helpers import consent_form_data

PORTAL_HOST = "https://testserver"
PLAYGROUND_CALLBACK = f"{PORTAL_HOST}/portal/playground/callback"
PLAYGROUND = reverse("portal:playground")
SCOPES = ["openid", "profile", "colors:read"]


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


def register(owner, *, environment=Application.Environment.PRODUCTION, **fields):
    """An app registered as the portal does it; returns ``(application, plain_secret)``.

    In production unless ``environment`` says otherwise, so other users can sign in to it
    (the portal itself starts apps in the sandbox: tests/server/test_sandbox_production.py).
    """
    values = {
        "name": "Palette",
        "kind": Application.Kind.WEB,
        "redirect_uris": ["https://palette.example.test/callback"],
        "post_logout_redirect_uris": [],
        "allowed_origins": [],
        "playground_enabled": False,
        "playground_callback_url": PLAYGROUND_CALLBACK,
    }
    application, secret = services.portal_application_register(owner=owner, **{**values, **fields})
    Application.objects.filter(pk=application.pk).update(environment=environment)
    application.environment = environment
    return application, secret


def start(portal, app, scopes=SCOPES):
    return portal.post(PLAYGROUND, {"application": app.pk, "scopes": scopes})


def consent(portal, authorize_url: str) -> str:
    """Sign-in is done (force_login); allow on the consent page and return where it sends us."""
    page = portal.get(authorize_url)
    assert page.status_code == 200, page.content[:500]
    response = portal.post("/o/authorize/", {**consent_form_data(page), "allow": "true"})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def run_to_callback(portal, app):
    flow = start(portal, app).context["flow"]
    location = consent(portal, flow["authorize_url"])
    assert location.startswith(PLAYGROUND_CALLBACK + "?")
    callback = portal.get(location)
    assert callback.status_code == 200
    return callback, parse_qs(urlsplit(location).query)["code"][0]
