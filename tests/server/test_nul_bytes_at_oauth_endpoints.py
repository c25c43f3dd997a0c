"""A NUL byte in any OAuth parameter is refused as a 400 before anything is looked up or stored.

PostgreSQL text and jsonb cannot hold ``\\u0000``: a NUL that reaches a row (a token's recorded
``resource`` audience, an audit event's details) is a 500 there, while SQLite stores it. These
run on both; the PostgreSQL pass (``DATABASE_URL=postgres://...``) is the one that showed the
500s. No OAuth parameter may contain a NUL (RFC 6749 Appendix A: VSCHAR, NQCHAR and URIs).
"""

import pytest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from tests.hostile.harness import assert_no_server_error, assert_nothing_changed, is_html, send
from tests.oauth_helpers import basic_auth, get_code, pkce_pair

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
COLORS = "https://api.example.test/colors"


def assert_invalid_request(exchange, *, errors=("invalid_request",)):
    assert_no_server_error(exchange)
    assert exchange.status == 400, str(exchange)
    assert exchange.response["Content-Type"].startswith("application/json"), str(exchange)
    assert exchange.response.json()["error"] in errors, str(exchange)
    assert exchange.response["Cache-Control"] == "no-store"
    assert_nothing_changed(exchange)


def test_nul_in_the_resource_at_code_redemption_is_refused_and_the_code_kept(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    body = (
        f"grant_type=authorization_code&code={code}&code_verifier={verifier}"
        f"&redirect_uri={app.redirect_uris}&resource={COLORS}%00"
    ).encode()

    exchange = send(
        signed_in,
        "POST",
        "/o/token/",
        body=body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_invalid_request(exchange, errors=("invalid_request", "invalid_target"))
    assert not get_access_token_model().objects.exists()
    # Nothing was redeemed: the same code still works for a well-formed request.
    retry = signed_in.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": app.redirect_uris,
        },
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert retry.status_code == 200, retry.content


def test_nul_in_the_resource_at_refresh_is_refused_and_the_token_kept(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    tokens = signed_in.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": app.redirect_uris,
        },
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    ).json()
    body = (
        f"grant_type=refresh_token&refresh_token={tokens['refresh_token']}&resource={COLORS}%00"
    ).encode()

    exchange = send(
        signed_in,
        "POST",
        "/o/token/",
        body=body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_invalid_request(exchange, errors=("invalid_request", "invalid_target"))
    assert get_refresh_token_model().objects.get().revoked is None


@pytest.mark.parametrize(
    "parameter",
    [
        "code_verifier",
        "redirect_uri",
        "scope",
        "resource",
        "audience",
        "client_secret",
        "grant_type",
        "refresh_token",
        "password",
    ],
)
def test_nul_in_any_token_parameter_is_invalid_request(client, app, parameter):
    data = {
        "grant_type": "authorization_code",
        "code": "some-code",
        "redirect_uri": app.redirect_uris,
        "code_verifier": pkce_pair()[0],
    }
    data[parameter] = "https://api.example.test/a\x00b"
    body = "&".join(f"{key}={value.replace(chr(0), '%00')}" for key, value in data.items())

    exchange = send(
        client,
        "POST",
        "/o/token/",
        body=body.encode(),
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_invalid_request(exchange)


@pytest.mark.parametrize("parameter", ["token", "token_type_hint"])
def test_nul_at_revocation_is_invalid_request_and_records_nothing(client, app, parameter):
    data = {"token": "abc", "token_type_hint": "access_token"}
    data[parameter] = "a%00b"
    body = "&".join(f"{key}={value}" for key, value in data.items())

    exchange = send(
        client,
        "POST",
        "/o/revoke_token/",
        body=body.encode(),
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )

    assert_invalid_request(exchange)
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.TOKEN_REVOKED).exists()


@pytest.mark.parametrize("parameter", ["token", "token_type_hint"])
def test_nul_at_introspection_finds_nothing_and_needs_client_authentication(client, app, parameter):
    data = {"token": "abc", "token_type_hint": "access_token"}
    data[parameter] = "a%00b"
    body = "&".join(f"{key}={value}" for key, value in data.items()).encode()

    authenticated = send(
        client,
        "POST",
        "/o/introspect/",
        body=body,
        content_type=FORM,
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    anonymous = send(client, "POST", "/o/introspect/", body=body, content_type=FORM)

    assert_no_server_error(authenticated)
    assert authenticated.status == 200, str(authenticated)
    assert authenticated.response.json() == {"active": False}
    assert anonymous.status == 401, str(anonymous)
    assert anonymous.response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("parameter", ["state", "claims", "ui_locales", "acr_values", "audience"])
def test_nul_in_an_authorization_request_is_an_error_page(signed_in, app, parameter):
    _verifier, challenge = pkce_pair()
    query = (
        f"response_type=code&client_id={app.client_id}&redirect_uri={app.redirect_uris}"
        f"&scope=openid&code_challenge={challenge}&code_challenge_method=S256"
        f"&{parameter}=a%00b"
    )

    exchange = send(signed_in, "GET", "/o/authorize/", query=query.encode())

    assert_no_server_error(exchange)
    assert exchange.status == 400, str(exchange)
    assert is_html(exchange)
    assert "Location" not in exchange.response
    assert_nothing_changed(exchange)


def test_nul_in_the_user_agent_is_kept_out_of_the_audit_log(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "wrong"},
        HTTP_USER_AGENT="curl/8\x00evil",
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(type=AuditEvent.Type.SIGN_IN_FAILED)
    assert event.user_agent == "curl/8evil"
