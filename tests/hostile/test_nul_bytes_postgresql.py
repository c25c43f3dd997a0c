"""NUL bytes (``%00`` in a form or query, or inside base64 HTTP Basic credentials).

PostgreSQL text cannot hold NUL, and psycopg refuses even to *send* a query parameter that
contains one (``DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes``). Django's
forms refuse NUL themselves, but the protocol endpoints do not use forms: every lookup that
takes a NUL-bearing value straight from the request is a 500 on PostgreSQL (the production
database) while SQLite simply finds nothing. They all pass on both; the PostgreSQL pass of
CI (DATABASE_URL=postgres://...) is the one that can catch a regression.
"""

import base64

import pytest

from tests.hostile import strategies as hs
from tests.hostile.authorize_helpers import assert_authorize_outcome, genuine_query
from tests.hostile.harness import (
    TOKEN_ENDPOINT_ERRORS,
    assert_bearer_refusal,
    assert_no_server_error,
    assert_nothing_changed,
    assert_oauth_json_error,
    is_html,
    send,
)
from tests.oauth_helpers import basic_auth

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def nul_bug(where: str) -> tuple:
    """Names the lookup a NUL here would reach (a 500 on PostgreSQL before
    oauth_portal.server.middleware.HostileInputMiddleware refused NUL early); no longer an xfail."""
    return ()


def basic_with(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "body, meta",
    [
        pytest.param(
            b"grant_type=authorization_code&code=a%00b&redirect_uri=x&code_verifier=y",
            "basic",
            marks=nul_bug(
                "Grant.objects.select_for_update().filter(code=...) in "
                "oauth_portal/oauth2_validators.py:92 validate_code"
            ),
            id="code",
        ),
        pytest.param(
            b"grant_type=authorization_code&code=x&client_id=a%00b",
            None,
            marks=nul_bug(
                "DOT's OAuth2Validator._load_application (Application lookup by the "
                "body's client_id)"
            ),
            id="body-client_id",
        ),
        pytest.param(
            b"grant_type=client_credentials",
            basic_with(b"a\x00b:secret"),
            marks=nul_bug(
                "PortalOAuth2Validator.authenticate_client "
                "(oauth_portal/oauth2_validators.py:41, _load_application)"
            ),
            id="basic-client_id",
        ),
        pytest.param(
            b"grant_type=client_credentials",
            basic_with(b"a%00b:secret"),
            marks=nul_bug(
                "PortalOAuth2Validator.authenticate_client: the Basic parts are "
                "form-decoded (unquote_plus), so %00 becomes NUL"
            ),
            id="basic-client_id-percent",
        ),
        pytest.param(b"grant_type=refresh_token&refresh_token=a%00b", "basic", id="refresh_token"),
        pytest.param(b"grant_type=client_credentials&scope=a%00b", "basic", id="scope"),
        pytest.param(b"grant_type=client_credentials&resource=a%00b", "basic", id="resource"),
        pytest.param(b"grant_type=a%00b", "basic", id="grant_type"),
    ],
)
def test_nul_at_the_token_endpoint(client, app, body, meta):
    headers = {}
    if meta == "basic":
        headers["HTTP_AUTHORIZATION"] = basic_auth(app.client_id)
    elif meta:
        headers["HTTP_AUTHORIZATION"] = meta

    exchange = send(client, "POST", "/o/token/", body=body, content_type=FORM, **headers)

    assert_oauth_json_error(exchange, TOKEN_ENDPOINT_ERRORS, statuses=(400, 401))


@pytest.mark.parametrize(
    "path, body, meta",
    [
        pytest.param("/o/revoke_token/", b"token=a%00b", "basic", id="revoke-token"),
        pytest.param(
            "/o/revoke_token/",
            b"token=a%00b&token_type_hint=refresh_token",
            "basic",
            id="revoke-refresh-token",
        ),
        pytest.param(
            "/o/revoke_token/",
            b"token=a&client_id=a%00b",
            None,
            marks=nul_bug("DOT's _load_application (the body's client_id)"),
            id="revoke-body-client_id",
        ),
        pytest.param("/o/introspect/", b"token=a%00b", "basic", id="introspect-token"),
        pytest.param(
            "/o/introspect/",
            b"token=a",
            basic_with(b"a\x00b:secret"),
            marks=nul_bug(
                "ClientAuthenticationRequiredMixin -> PortalOAuth2Validator.authenticate_client"
            ),
            id="introspect-basic-client_id",
        ),
    ],
)
def test_nul_at_revocation_and_introspection(client, app, path, body, meta):
    headers = {}
    if meta == "basic":
        headers["HTTP_AUTHORIZATION"] = basic_auth(app.client_id)
    elif meta:
        headers["HTTP_AUTHORIZATION"] = meta

    exchange = send(client, "POST", path, body=body, content_type=FORM, **headers)

    assert_no_server_error(exchange)
    assert exchange.status in (200, 400, 401), str(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize(
    "field",
    [
        pytest.param(
            "client_id",
            marks=nul_bug(
                "the Application lookup in oauth_portal/server/views/authorize.py "
                "AuthorizationView.get, before DOT validates anything"
            ),
        ),
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "nonce",
        "response_type",
        "code_challenge_method",
        "prompt",
        "resource",
        "login_hint",
        "max_age",
        "id_token_hint",
    ],
)
def test_nul_in_a_signed_in_authorization_request(signed_in, app, field):
    pairs = [(k, b"a%00b" if k == field.encode() else v) for k, v in genuine_query(app)]
    if all(k != field.encode() for k, _v in pairs):
        pairs.append((field.encode(), b"a%00b"))

    exchange = send(signed_in, "GET", "/o/authorize/", query=hs.urlencoded(pairs))

    assert_authorize_outcome(exchange)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            b"username=a%00b&password=x",
            marks=nul_bug(
                "accounts/services.py:37 sign_in_failed() looks the attempted user "
                "name up (User.objects.filter(username=...)) to record the failure"
            ),
            id="username",
        ),
        pytest.param(b"username=alice&password=a%00b", id="password"),
        pytest.param(b"username=alice&password=x&next=/a%00b", id="next"),
    ],
)
def test_nul_at_sign_in(client, user, body):
    exchange = send(client, "POST", "/accounts/login/", body=body, content_type=FORM)

    assert_no_server_error(exchange)
    assert exchange.status in (200, 400), str(exchange)
    assert is_html(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize(
    "meta",
    [
        {"HTTP_AUTHORIZATION": "Bearer a\x00b"},
        {"HTTP_AUTHORIZATION": basic_with(b"a\x00b:c")},
    ],
    ids=["bearer", "basic"],
)
@pytest.mark.parametrize("path", ["/o/userinfo/", "/api/colors/"])
def test_nul_in_bearer_credentials(client, app, path, meta):
    exchange = send(client, "GET", path, **meta)

    assert_bearer_refusal(exchange, allowed_statuses=(400, 401))


@pytest.mark.parametrize("path", ["/o/token/", "/api/colors/"])
def test_nul_in_an_origin_header(client, app, path):
    exchange = send(
        client, "POST", path, body=b"x=1", content_type=FORM, HTTP_ORIGIN="https://a\x00b"
    )

    assert_no_server_error(exchange)
    assert "Access-Control-Allow-Origin" not in exchange.response
