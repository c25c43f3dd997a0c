"""Hostile input at the OpenID userinfo endpoint (RFC 6750 errors) and at RP-initiated logout
(an HTML page, or a redirect to a *registered* post-logout URI only). Never a 500, and no row
changes."""

import base64
import json
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwcrypto import jws

from tests.hostile import strategies as hs
from tests.hostile.harness import (
    Exchange,
    assert_bearer_refusal,
    assert_no_server_error,
    assert_nothing_changed,
    is_html,
    json_body,
    send,
)
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def access_token(user, app):
    """A live token that must keep working whatever is thrown at the endpoint."""
    return mint_access_token(user=user, app=app, scope="openid profile email")


def userinfo_request():
    header = st.one_of(st.none(), hs.authorization_header().map(hs.on_the_wire))
    query = (
        hs.form_pairs(["access_token", "schema", "claims"])
        .map(hs.urlencoded)
        .filter(
            lambda raw: not hs.has_invalid_percent_escape(raw)  # test_query_string_escapes.py
        )
    )
    body = hs.form_pairs(["access_token", "claims"]).map(hs.urlencoded)
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(["GET", "POST"]),
            "header": header,
            "query": st.one_of(st.none(), query),
            "body": st.one_of(st.none(), body),
            "content_type": st.sampled_from(hs.NON_MULTIPART_CONTENT_TYPES),
        }
    )


@given(request=userinfo_request())
def test_userinfo_refuses_hostile_credentials_with_an_rfc6750_error(client, access_token, request):
    meta = {"HTTP_AUTHORIZATION": request["header"]} if request["header"] is not None else {}

    exchange = send(
        client,
        request["method"],
        "/o/userinfo/",
        query=request["query"],
        body=request["body"],
        content_type=request["content_type"] if request["body"] is not None else None,
        **meta,
    )

    assert_bearer_refusal(exchange, allowed_statuses=(400, 401, 403))
    assert "error" in json_body(exchange), str(exchange)
    good = send(client, "GET", "/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert good.status == 200, "the live token stopped working"


# --- RP-initiated logout --------------------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


JWS_HEADER = b64(b'{"alg":"RS256"}')


def jws_shaped(payload: bytes) -> str:
    return f"{JWS_HEADER}.{b64(payload)}.{b64(b'sig')}"


def known_logout_500(params: dict[str, str], registered_client_id: str) -> bool:
    """Whether DOT's logout view raises on these parameters (pinned by the xfail tests below):
    an unknown ``client_id``, or an ``id_token_hint`` whose payload DOT cannot read as a JSON
    object with a usable ``aud``. Mirrors oauth2_provider's _get_key_for_token."""
    if params.get("client_id") and params["client_id"] != registered_client_id:
        return True
    hint = params.get("id_token_hint")
    if not hint:
        return False
    token = jws.JWS()
    try:
        token.deserialize(hint)
    except Exception:  # noqa: BLE001 - DOT catches InvalidJWSObject: no crash
        return False
    try:
        claims = json.loads(token.objects["payload"].decode("utf-8"))
        if "aud" in claims and not isinstance(claims["aud"], str):
            list(iter(claims["aud"]))
            return not all(isinstance(a, str) for a in claims["aud"])
    except Exception:  # noqa: BLE001
        return True
    return False


LOGOUT_HINTS = [
    "a.b.c",
    "....",
    jws_shaped(b"{}"),
    jws_shaped(b'{"aud": "someone"}'),
    jws_shaped(b'{"aud": ["a", "b"], "iss": "x"}'),
]


def logout_params(app):
    value = st.one_of(hs.hostile_text(), st.sampled_from(LOGOUT_HINTS))
    return st.dictionaries(
        st.sampled_from(
            [
                "id_token_hint",
                "client_id",
                "post_logout_redirect_uri",
                "state",
                "ui_locales",
                "logout_hint",
                "allow",
            ]
        ),
        st.one_of(value, st.just(app.client_id), st.just("https://client.example.test/")),
        max_size=5,
    )


def assert_logout_outcome(exchange: Exchange) -> None:
    assert_no_server_error(exchange)
    if exchange.status == 302:
        # No post-logout URI is registered for the app: only our own pages may follow.
        location = urlsplit(exchange.response["Location"])
        assert not location.scheme and not location.netloc, f"redirected off-site:\n{exchange}"
    else:
        assert exchange.status in (200, 400, 403, 405), str(exchange)
        assert is_html(exchange) or exchange.status == 405, str(exchange)
    assert_nothing_changed(exchange)


@given(params=st.data(), signed_in_user=st.booleans(), method=st.sampled_from(["GET", "POST"]))
def test_logout_with_hostile_parameters_is_an_html_page(
    client, user, app, params, signed_in_user, method
):
    params = params.draw(logout_params(app))
    if known_logout_500(params, app.client_id):
        return
    if signed_in_user:
        client.force_login(user)
    raw = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params.items()).encode()

    if method == "GET":
        exchange = send(client, "GET", "/o/logout/", query=raw)
    else:
        exchange = send(client, "POST", "/o/logout/", body=raw, content_type=FORM)

    assert_logout_outcome(exchange)


LOGOUT_500_BUG = (
    "BUG: RP-initiated logout is a 500 for {what}. DOT's RPInitiatedLogoutView {where}; our "
    "subclass (oauth_portal/server/views/oidc.py RPInitiatedLogoutView) inherits it. Fix: override "
    "{fix} in our subclass so it raises DOT's {error} (a 400 error page) instead."
)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("client_id", ["no-such-client", "\u2603", "x" * 5000])
def test_logout_with_an_unknown_client_id_is_an_error_page(client, user, method, client_id):
    client.force_login(user)
    raw = f"client_id={quote(client_id)}".encode()

    if method == "GET":
        exchange = send(client, "GET", "/o/logout/", query=raw)
    else:
        exchange = send(client, "POST", "/o/logout/", body=raw, content_type=FORM)

    assert_logout_outcome(exchange)
    assert exchange.status == 400


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"\xff\xfe", b"1", b"null", b'{"aud": 5}'],
    ids=repr,
)
def test_logout_with_a_garbage_id_token_hint_is_an_error_page(client, user, payload):
    client.force_login(user)

    exchange = send(client, "GET", "/o/logout/", query=f"id_token_hint={jws_shaped(payload)}")

    assert_logout_outcome(exchange)
    assert exchange.status == 400
