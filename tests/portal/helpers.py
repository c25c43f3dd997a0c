"""Helpers the portal tests share; their fixtures are in conftest.py."""

from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.structures import CaseInsensitiveDict

from oauth_portal.portal import services
from oauth_portal.server.models import Application

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
