"""The playground's server-side calls (token, revocation, JWKS, Colors API) go to this server
as configured, never to the host and port a request's Host header names: ALLOWED_HOSTS ignores
the port, so trusting the header would let a developer make the server POST anywhere on that
host and show them the answer."""

import socket
import threading

import pytest
from django.test import RequestFactory
from django.urls import reverse

from oauth_portal.portal import playground as portal_playground
from tests.portal.helpers import run_to_callback

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener():
    """A TCP listener on a loopback port that records every connection made to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(address)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


def forged(port: int) -> dict:
    # An allowed host name with a port of the attacker's choosing (ALLOWED_HOSTS ignores ports).
    return {"HTTP_HOST": f"127.0.0.1:{port}"}


def test_code_exchange_ignores_the_port_in_the_host_header(
    portal, web_app, in_process_http, listener, settings
):
    settings.PORTAL_INTERNAL_BASE_URL = "https://testserver"
    port, connections = listener
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)

    response = portal.post(
        reverse("portal:playground-exchange"),
        {"code": code, "client_secret": secret},
        **forged(port),
    )

    assert connections == []
    assert response.context["exchange"].url == "https://testserver/o/token/"
    assert response.context["exchange"].status == 200
    assert response.context["api_call"].url == "https://testserver/api/colors/"
    assert response.context["id_token"]["jwks"].url == "https://testserver/o/.well-known/jwks.json"
    assert {request.url.split("/")[2] for request in in_process_http} == {"testserver"}


def test_refresh_and_revoke_ignore_the_port_in_the_host_header(
    portal, web_app, in_process_http, listener, settings
):
    settings.PORTAL_INTERNAL_BASE_URL = "https://testserver"
    port, connections = listener
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)
    tokens = portal.post(
        reverse("portal:playground-exchange"), {"code": code, "client_secret": secret}
    ).context["tokens"]

    refreshed = portal.post(
        reverse("portal:playground-refresh"),
        {"token": tokens["refresh_token"], "client_secret": secret},
        **forged(port),
    )
    assert connections == []
    new_tokens = refreshed.context["tokens"]
    revoked = portal.post(
        reverse("portal:playground-revoke"),
        {
            "token": new_tokens["refresh_token"],
            "access_token": new_tokens["access_token"],
            "client_secret": secret,
        },
        **forged(port),
    )

    assert connections == []
    assert refreshed.context["exchange"].status == 200
    assert revoked.context["revoke"].status == 200
    assert revoked.context["api_call"].status == 401


def test_without_a_configured_address_the_playground_calls_nothing(
    portal, web_app, listener, settings
):
    settings.PORTAL_INTERNAL_BASE_URL = ""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": ""}
    port, connections = listener
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)

    response = portal.post(
        reverse("portal:playground-exchange"),
        {"code": code, "client_secret": secret},
        **forged(port),
    )

    assert response.status_code == 200
    assert connections == []
    exchange = response.context["exchange"]
    assert exchange.status is None
    assert "PORTAL_INTERNAL_BASE_URL" in exchange.error
    assert "PORTAL_INTERNAL_BASE_URL" in response.content.decode()
    # Nothing was redeemed: the code still works once the server is configured.
    settings.PORTAL_INTERNAL_BASE_URL = "https://testserver"


def test_a_pinned_issuer_is_where_the_calls_go(portal, web_app, in_process_http, settings):
    settings.PORTAL_INTERNAL_BASE_URL = ""
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ISS_ENDPOINT": "https://testserver/o",
    }
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)

    response = portal.post(
        reverse("portal:playground-exchange"),
        {"code": code, "client_secret": secret},
        HTTP_HOST="localhost:6379",
    )

    assert response.context["exchange"].url == "https://testserver/o/token/"
    assert response.context["exchange"].status == 200
    assert response.context["id_token"]["error"] == ""


@pytest.mark.parametrize("host", ["127.0.0.1:6379", "localhost:8000", "testserver"])
def test_djangos_own_server_is_called_on_the_port_it_bound_whatever_the_host_header(settings, host):
    settings.PORTAL_INTERNAL_BASE_URL = ""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": ""}
    # What runserver and the test live server (both wsgiref) put in the WSGI environment.
    request = RequestFactory().get(
        "/portal/playground/",
        HTTP_HOST=host,
        SERVER_SOFTWARE="WSGIServer/0.2",
        SERVER_PORT="8000",
    )

    assert portal_playground.internal_base_url(request) == "http://127.0.0.1:8000"


def test_other_servers_port_is_not_trusted(settings):
    settings.PORTAL_INTERNAL_BASE_URL = ""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": ""}
    # gunicorn on a unix socket fills SERVER_PORT from the Host header.
    request = RequestFactory().get(
        "/portal/playground/",
        HTTP_HOST="127.0.0.1:6379",
        SERVER_SOFTWARE="gunicorn/23.0.0",
        SERVER_PORT="6379",
    )

    assert portal_playground.internal_base_url(request) == ""
