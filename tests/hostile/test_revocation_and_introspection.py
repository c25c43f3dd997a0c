"""Hostile input at revocation (RFC 7009) and introspection (RFC 7662).

With client authentication, an unknown or malformed token is answered as the RFCs say (200
with an empty body; ``{"active": false}``) and revokes nothing; without it, 401
``invalid_client``. Never a 500, and no live token changes.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import strategies as hs
from tests.hostile.harness import (
    REVOCATION_ERRORS,
    TOKEN_ENDPOINT_ERRORS,
    assert_no_server_error,
    assert_nothing_changed,
    assert_oauth_json_error,
    json_body,
    send,
)
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
PARAMETERS = ["token", "token_type_hint", "client_id", "client_secret"]
HINTS = ["access_token", "refresh_token", "id_token", "", "ACCESS_TOKEN", "unknown"]


@pytest.fixture
def live_token(user, app):
    """A token that must survive every hostile request."""
    return mint_access_token(user=user, app=app, scope="colors:read")


def hostile_body():
    """A token_type_hint (known, unknown or hostile), then hostile pairs, tokens among them."""
    hint = st.one_of(st.sampled_from(HINTS), hs.hostile_text(huge=False))
    fixed = st.fixed_dictionaries({"token_type_hint": hint})
    return fixed.flatmap(lambda f: hs.form_pairs(PARAMETERS, fixed=f)).map(hs.urlencoded)


@given(
    body=hostile_body(),
    content_type=st.sampled_from(hs.NON_MULTIPART_CONTENT_TYPES),
)
def test_revocation_with_client_credentials_revokes_nothing(
    client, app, live_token, body, content_type
):
    exchange = send(
        client,
        "POST",
        "/o/revoke_token/",
        body=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_no_server_error(exchange)
    if exchange.status == 200:
        assert exchange.response.content == b"", str(exchange)  # RFC 7009 §2.2
        assert_nothing_changed(exchange)
    else:
        # 401 when a client_id in the body names another client than the Basic header.
        assert_oauth_json_error(exchange, REVOCATION_ERRORS, statuses=(400, 401))
    assert exchange.response["Cache-Control"] == "no-store"
    assert client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {live_token}").status_code == 200


@given(
    body=hostile_body(),
    content_type=st.sampled_from(hs.NON_MULTIPART_CONTENT_TYPES),
)
def test_introspection_with_client_credentials_finds_nothing(
    client, app, live_token, body, content_type
):
    exchange = send(
        client,
        "POST",
        "/o/introspect/",
        body=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_no_server_error(exchange)
    if exchange.status == 200:
        assert json_body(exchange) == {"active": False}, str(exchange)
        assert_nothing_changed(exchange)
    else:
        # RFC 7662 §2.3 reuses RFC 6749's errors: a missing token is invalid_request; a
        # client_id in the body naming another client than the Basic header, invalid_client.
        assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400, 401))
    assert exchange.response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/o/revoke_token/", "/o/introspect/"])
@given(data=st.data())
def test_without_valid_client_authentication_both_answer_401_invalid_client(
    client, app, live_token, path, data
):
    header = data.draw(
        st.one_of(st.none(), hs.authorization_header(app.client_id).map(hs.on_the_wire))
    )
    body = data.draw(hostile_body())
    meta = {} if header is None else {"HTTP_AUTHORIZATION": header}

    exchange = send(client, "POST", path, body=body, content_type=FORM, **meta)

    if path == "/o/revoke_token/":
        # oauthlib looks for the token (missing or empty: invalid_request) before it
        # authenticates the client.
        assert_oauth_json_error(
            exchange, {"invalid_client", "invalid_request"}, statuses=(400, 401)
        )
    else:
        assert_oauth_json_error(exchange, {"invalid_client"}, statuses=(401,))


@pytest.mark.parametrize("path", ["/o/revoke_token/", "/o/introspect/"])
@pytest.mark.parametrize(
    "body",
    [
        b"token=%zz&token=%ff",
        b"token=\xff\xfe\xc0\xaf",
        b"token=%c0%af%ed%a0%80",
        b"token=" + b"x" * (150 * 1024),
        b"token=" + b"%F0%9F%98%80" * 20000,
        b"token=a&token=b&token=c&token_type_hint=refresh_token&token_type_hint=access_token",
        b"token_type_hint=refresh_token",
        b"",
    ],
    ids=lambda body: repr(body[:30]),
)
def test_garbage_tokens_are_answered_without_a_server_error(client, app, live_token, path, body):
    exchange = send(
        client,
        "POST",
        path,
        body=body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_no_server_error(exchange)
    assert exchange.status in (200, 400), str(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_introspection_answers_only_post(client, app, live_token, method):
    exchange = send(
        client,
        method,
        f"/o/introspect/?token={live_token}",
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert exchange.status == 405, str(exchange)
    assert b"active" not in exchange.response.content
