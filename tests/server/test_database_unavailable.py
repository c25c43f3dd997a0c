"""A database that stops answering in the middle of a request: the client gets a 503 with
Retry-After in the endpoint's format (the protocol's error JSON, a page for a browser), never
Django's 500 page; the next request, with the database back, is answered as usual.

The failure is injected with Django's query execute wrappers, as a restarting PostgreSQL raises
it (tests/resilience/ shows it against a real one).
"""

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, override_settings

from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import mint_access_token, token_request

pytestmark = pytest.mark.django_db


def database_down(error=OperationalError("the database system is shutting down")):
    def fail(execute, sql, params, many, context):
        raise error

    return connection.execute_wrapper(fail)


@pytest.fixture
def service(db):
    return ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )


def assert_protocol_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "temporarily_unavailable"


@pytest.mark.parametrize(
    "error",
    [OperationalError("terminating connection"), InterfaceError("connection already closed")],
)
def test_a_token_request_while_the_database_is_down_is_a_retryable_503(client, service, error):
    with database_down(error):
        response = token_request(
            client, service, {"grant_type": "client_credentials", "scope": "colors:read"}
        )

    assert_protocol_unavailable(response)
    assert (
        token_request(
            client, service, {"grant_type": "client_credentials", "scope": "colors:read"}
        ).status_code
        == 200
    )


def test_an_api_call_while_the_database_is_down_is_a_503_in_json(client, service):
    token = mint_access_token(user=UserFactory(), app=service, scope="colors:read")

    with database_down():
        response = client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_protocol_unavailable(response)


def test_a_browser_gets_a_readable_page_not_a_server_error():
    # The session is first read by a middleware (the second-step check), not the view: as a
    # real server does, the test client answers with the response instead of re-raising.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    with database_down():
        response = client.get("/accounts/", HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"Temporarily unavailable" in response.content
    assert b"Server Error" not in response.content


class DatabaseTouchingMiddleware:
    """Stands for any middleware (a host's own, a session save) that queries the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("server closed the connection unexpectedly")


@override_settings(
    MIDDLEWARE=[
        "oauth_portal.server.database_unavailable.DatabaseUnavailableMiddleware",
        "tests.server.test_database_unavailable.DatabaseTouchingMiddleware",
    ]
)
def test_a_database_error_outside_the_view_is_a_503_too():
    response = Client(raise_request_exception=False).get("/health/live")

    assert_protocol_unavailable(response)


@override_settings(
    MIDDLEWARE=[
        "oauth_portal.server.database_unavailable.DatabaseUnavailableMiddleware",
        "tests.server.test_database_unavailable.BrokenMiddleware",
    ]
)
def test_other_errors_stay_server_errors():
    response = Client(raise_request_exception=False).get("/health/live")

    assert response.status_code == 500


class BrokenMiddleware(DatabaseTouchingMiddleware):
    def __call__(self, request):
        raise RuntimeError("a bug")
