"""Refusals must come in the protocol's format: JSON (``application/json``) with an RFC
``error`` at the token, revocation and introspection endpoints (RFC 6749 §5.2), an RFC 6750
answer at userinfo. Also: requests Django itself refuses to parse."""

import pytest

from tests.hostile.harness import (
    TOKEN_ENDPOINT_ERRORS,
    assert_bearer_refusal,
    assert_oauth_json_error,
    json_body,
    send,
)
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
CLIENT_ENDPOINTS = [
    ("/o/token/", b"grant_type=client_credentials"),
    ("/o/revoke_token/", b"token=abc"),
    ("/o/introspect/", b"token=abc"),
]

REFUSED_BODIES = {
    "utf-16 charset": ("application/x-www-form-urlencoded; charset=utf-16", b"token=abc"),
    "latin-1 charset": ("application/x-www-form-urlencoded; charset=latin-1", b"token=abc"),
    "multipart without boundary": ("multipart/form-data", b"token=abc"),
    "multipart with an endless header": ("multipart/form-data; boundary=xYzZY", b"a" * 300_000),
    "1001 fields": (FORM, b"&".join(b"f%d=1" % i for i in range(1001))),
    "3 MB body": (FORM, b"token=" + b"a" * (3 * 1024 * 1024)),
}


@pytest.mark.parametrize("kind", list(REFUSED_BODIES))
@pytest.mark.parametrize("path, _body", CLIENT_ENDPOINTS, ids=[p for p, _ in CLIENT_ENDPOINTS])
def test_bodies_django_refuses_get_an_oauth_json_error(client, app, path, _body, kind):
    content_type, body = REFUSED_BODIES[kind]

    exchange = send(
        client,
        "POST",
        path,
        body=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400,)) == (
        "invalid_request"
    )


@pytest.mark.parametrize("path, body", CLIENT_ENDPOINTS, ids=[p for p, _ in CLIENT_ENDPOINTS])
def test_a_declared_length_over_the_limit_gets_an_oauth_json_error(client, app, path, body):
    exchange = send(
        client,
        "POST",
        path,
        body=body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )

    assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400,))


def test_token_endpoint_errors_are_labelled_json(client, app):
    exchange = send(
        client,
        "POST",
        "/o/token/",
        body=b"grant_type=client_credentials",
        content_type=FORM,
        query=b"a=1",
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400,))
    assert exchange.response["Content-Type"] == "application/json", str(exchange)


@pytest.mark.parametrize("path", ["/o/revoke_token/", "/o/introspect/"])
@pytest.mark.parametrize("body", [b"", b"token_type_hint=access_token"], ids=["empty", "no-token"])
def test_revocation_and_introspection_errors_are_labelled_json(client, app, path, body):
    exchange = send(
        client,
        "POST",
        path,
        body=body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400,)) == (
        "invalid_request"
    )
    assert exchange.response["Content-Type"] == "application/json", str(exchange)


@pytest.mark.parametrize("header", [None, "Bearer not-a-token"], ids=["no-token", "bad-token"])
def test_userinfo_errors_are_labelled_json(client, header):
    meta = {"HTTP_AUTHORIZATION": header} if header else {}

    exchange = send(client, "GET", "/o/userinfo/", **meta)

    assert_bearer_refusal(exchange, allowed_statuses=(401,))
    assert json_body(exchange)["error"] == "invalid_token" or header is None
    assert exchange.response["Content-Type"] == "application/json", str(exchange)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_refuses_an_access_token_in_the_url(client, user, app, method):
    token = mint_access_token(user=user, app=app, scope="openid profile")

    exchange = send(client, method, "/o/userinfo/", query=f"access_token={token}")

    assert exchange.status in (400, 401), str(exchange)
    assert b"sub" not in exchange.response.content, str(exchange)


def test_the_colors_api_ignores_an_access_token_in_the_url(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")

    exchange = send(client, "GET", "/api/colors/", query=f"access_token={token}")

    assert_bearer_refusal(exchange, allowed_statuses=(401,))


@pytest.mark.parametrize(
    "declared", [None, str(50 * 1024 * 1024)], ids=["3-MB-body", "declared-50-MB"]
)
def test_an_oversized_api_body_gets_a_json_error(client, user, app, declared):
    token = mint_access_token(user=user, app=app, scope="colors:write")
    if declared:
        body, meta = b'{"name": "x", "hex": "#000000"}', {"CONTENT_LENGTH": declared}
    else:
        body, meta = b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'", "hex": "#000000"}', {}

    exchange = send(
        client,
        "POST",
        "/api/colors/",
        body=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **meta,
    )

    assert exchange.status in (400, 413), str(exchange)
    json_body(exchange)
