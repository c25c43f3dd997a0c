"""A broken percent-escape in the query string (``?%zz``) at the OAuth endpoints.

oauthlib parses the full request URI and raises ``ValueError("Invalid hex encoding in query
string.")`` for ``%`` not followed by two hex digits; DOT lets it escape from every protocol
view, so ``curl 'https://host/o/token/?%zz'`` is a 500. Each endpoint must answer 400
``invalid_request`` in its own format instead.
"""

import pytest

from tests.hostile import strategies as hs
from tests.hostile.authorize_helpers import assert_authorize_outcome, genuine_query
from tests.hostile.harness import (
    TOKEN_ENDPOINT_ERRORS,
    assert_bearer_refusal,
    assert_no_server_error,
    assert_nothing_changed,
    assert_oauth_json_error,
    json_body,
    send,
)
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
BROKEN_ESCAPES = [b"%zz", b"state=%\x80"]


@pytest.fixture
def access_token(user, app):
    return mint_access_token(user=user, app=app, scope="openid colors:read")


@pytest.mark.parametrize("query", BROKEN_ESCAPES, ids=repr)
@pytest.mark.parametrize(
    "path, body",
    [
        ("/o/token/", b"grant_type=client_credentials"),
        ("/o/revoke_token/", b"token=abc"),
        ("/o/introspect/", b"token=abc"),
    ],
)
def test_client_endpoints_answer_invalid_request(client, app, path, body, query):
    exchange = send(
        client,
        "POST",
        path,
        body=body,
        content_type=FORM,
        query=query,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400,)) == (
        "invalid_request"
    )


@pytest.mark.parametrize("query", BROKEN_ESCAPES, ids=repr)
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_userinfo_answers_an_rfc6750_error(client, access_token, method, with_token, query):
    meta = {"HTTP_AUTHORIZATION": f"Bearer {access_token}"} if with_token else {}

    exchange = send(client, method, "/o/userinfo/", query=query, **meta)

    assert_bearer_refusal(exchange, allowed_statuses=(400, 401))
    assert "error" in json_body(exchange)


@pytest.mark.parametrize("query", BROKEN_ESCAPES, ids=repr)
def test_signed_in_authorize_answers_an_error_page(signed_in, app, query):
    exchange = send(
        signed_in, "GET", "/o/authorize/", query=hs.urlencoded(genuine_query(app)) + b"&" + query
    )

    assert_authorize_outcome(exchange)
    assert exchange.status != 200


@pytest.mark.parametrize("query", BROKEN_ESCAPES, ids=repr)
def test_colors_api_answers_json(client, access_token, query):
    exchange = send(
        client, "GET", "/api/colors/", query=query, HTTP_AUTHORIZATION=f"Bearer {access_token}"
    )

    assert_no_server_error(exchange)
    # The API reads no query parameter and the bearer check only the header, so an unreadable
    # query string changes nothing: any answer but a server error, always JSON.
    assert exchange.status in (200, 400, 401), str(exchange)
    assert exchange.response["Content-Type"].startswith("application/json"), str(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize("query", [b"x=%", b"x=%e", b"x=%41%42", b"x=%C3%A9", b"x=%ff"], ids=repr)
def test_escapes_oauthlib_accepts_are_refused_as_query_parameters(client, app, query):
    """The token endpoint takes no URL query parameters at all (RFC 6749 §3.2)."""
    exchange = send(
        client,
        "POST",
        "/o/token/",
        body=b"grant_type=client_credentials",
        content_type=FORM,
        query=query,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400,)) == (
        "invalid_request"
    )
