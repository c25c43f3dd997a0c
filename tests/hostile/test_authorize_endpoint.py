"""Hostile input at the authorization endpoint, signed out and signed in, GET and the consent
POST. Allowed answers: the consent page (200), our HTML error page (4xx, no redirect), a
redirect to the sign-in page, or a redirect with ``error=`` to the *registered* redirect URI.
Never a 500, never a redirect anywhere else, and a code only for a consent the user gave."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oauth2_provider.models import get_grant_model

from tests.factories import REDIRECT_URI
from tests.hostile import strategies as hs
from tests.hostile.authorize_helpers import assert_authorize_outcome, genuine_query
from tests.hostile.harness import (
    ON_POSTGRESQL,
    assert_no_server_error,
    assert_nothing_changed,
    send,
)
from tests.oauth_helpers import authorize_params, consent_form_data, pkce_pair

pytestmark = pytest.mark.django_db
Grant = get_grant_model()

AUTHORIZE_PARAMETERS = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
    "max_age",
    "claims",
    "request",
    "request_uri",
    "response_mode",
    "resource",
    "id_token_hint",
    "login_hint",
    "ui_locales",
    "approval_prompt",
    "display",
    "acr_values",
    "registration",
]
INTERESTING_VALUES = {
    "response_type": ["code", "token", "id_token", "code id_token", "none", "CODE", "code code"],
    "prompt": ["none", "login", "consent", "create", "select_account", "none login", "login none"],
    "code_challenge_method": ["S256", "plain", "s256", "S512", ""],
    "scope": ["openid", "openid openid", "colors:read", "admin", "openid\tprofile", "  "],
    "redirect_uri": [
        REDIRECT_URI + "/",
        REDIRECT_URI.upper(),
        REDIRECT_URI + "?x=1",
        REDIRECT_URI + "#x",
        REDIRECT_URI.replace("https", "http"),
        "https://client.example.test:443/callback",
        "https://client.example.test.evil.example/callback",
        "https://evil.example/callback",
    ],
    "max_age": ["0", "-1", "1.5", "99999999999999999999", "\u0661\u0662", "\u00b2"],
    "claims": ['{"userinfo": {"email": null}}', "{bad", "[]", "null", "[" * 3000],
    "approval_prompt": ["auto", "force"],
    "resource": ["https://api.example.test/colors", "urn:x", "https://evil.example/"],
}


def known_500_trigger(pairs) -> bool:
    """Inputs that hit a pinned bug (see the xfail tests), left out of the properties."""
    if hs.has_invalid_percent_escape(hs.urlencoded(pairs)):
        return True  # test_query_string_escapes.py
    for key, value in pairs:
        if key == b"max_age" and sum(ch in b"0123456789" for ch in value) > 4000:
            return True  # test_max_age_with_thousands_of_digits_is_not_a_server_error
    return False


@st.composite
def hostile_authorize_query(draw, app):
    """The genuine query with one parameter replaced, repeated or dropped, plus foreign ones."""
    pairs = genuine_query(app)
    field = draw(st.sampled_from(AUTHORIZE_PARAMETERS))
    interesting = INTERESTING_VALUES.get(field, [])
    value = draw(
        st.one_of(
            hs.raw_value(),
            *(
                [st.sampled_from(interesting).map(lambda v: quote(v, safe="").encode())]
                if interesting
                else []
            ),
        )
    )
    mode = draw(st.sampled_from(["replace", "repeat", "drop", "add"]))
    key = field.encode()
    if mode == "replace":
        pairs = [(k, value if k == key else v) for k, v in pairs]
        if all(k != key for k, _v in pairs):
            pairs.append((key, value))
    elif mode == "repeat":
        pairs.append((key, value))
    elif mode == "drop":
        pairs = [(k, v) for k, v in pairs if k != key]
    else:
        pairs.append((key, value))
    pairs += draw(hs.form_pairs(AUTHORIZE_PARAMETERS, huge=False).map(lambda p: p[:3]))
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    return pairs


@given(
    query=st.one_of(
        hs.form_pairs(AUTHORIZE_PARAMETERS), hs.hostile_bytes().map(lambda b: [(b, b"")])
    )
)
def test_signed_out_hostile_requests_only_ever_go_to_sign_in(client, app, query):
    exchange = send(client, "GET", "/o/authorize/", query=hs.urlencoded(query))

    assert_no_server_error(exchange)
    if exchange.status == 302:
        assert urlsplit(exchange.response["Location"]).path == "/accounts/login/", str(exchange)
    else:
        # Django refuses to redirect to a URL over 2048 characters (DisallowedRedirect).
        assert exchange.status == 400 and "Location" not in exchange.response, str(exchange)
    assert_nothing_changed(exchange)


@given(data=st.data())
def test_signed_in_hostile_authorization_requests_are_refused_cleanly(client, user, app, data):
    client.force_login(user)  # prompt=login in an earlier example may have ended the session
    pairs = data.draw(hostile_authorize_query(app))
    if known_500_trigger(pairs):
        return

    exchange = send(client, "GET", "/o/authorize/", query=hs.urlencoded(pairs))

    assert_authorize_outcome(exchange)


@given(raw=hs.hostile_bytes())
def test_a_query_string_of_raw_garbage_is_refused(client, user, app, raw):
    if hs.has_invalid_percent_escape(raw):
        return  # test_query_string_escapes.py
    client.force_login(user)

    exchange = send(client, "GET", "/o/authorize/", query=raw)

    assert_authorize_outcome(exchange)


@pytest.mark.parametrize(
    "field",
    [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ],
)
def test_a_repeated_parameter_is_refused(signed_in, app, field):
    """RFC 6749 §3.1: parameters MUST NOT be included more than once."""
    pairs = genuine_query(app)
    pairs += [(k, v) for k, v in pairs if k == field.encode()]

    exchange = send(signed_in, "GET", "/o/authorize/", query=hs.urlencoded(pairs))

    assert_authorize_outcome(exchange)
    assert exchange.status != 200, f"consent page shown for a repeated {field}:\n{exchange}"


# --- The consent form posted back -----------------------------------------------------------------

CONSENT_FIELDS = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "claims",
    "allow",
    "granted_scope",
    "resource",
]
# Where the consent form carries a value into a bounded database column: a longer value is a
# pinned bug on PostgreSQL (see test_consent_with_a_100_kb_* below).
PG_COLUMN_LIMITS = {b"code_challenge": 128, b"nonce": 255, b"code_challenge_method": 10}


@pytest.fixture
def consent_form(signed_in, app):
    _verifier, challenge = pkce_pair()
    page = signed_in.get(
        "/o/authorize/?"
        + "&".join(
            f"{k}={quote(v, safe='')}"
            for k, v in authorize_params(app, challenge=challenge).items()
        )
    )
    assert page.status_code == 200
    data = consent_form_data(page)
    data["allow"] = "Allow"
    return data


def consent_pairs(form: dict) -> list[tuple[bytes, bytes]]:
    pairs = []
    for key, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key.encode(), quote(str(item), safe="").encode()))
    return pairs


@given(
    field=st.sampled_from(CONSENT_FIELDS),
    value=hs.raw_value(),
    mode=st.sampled_from(["replace", "repeat", "drop"]),
)
def test_a_tampered_consent_form_never_redirects_off_site(
    client, user, consent_form, field, value, mode
):
    client.force_login(user)
    key = field.encode()
    pairs = consent_pairs(consent_form)
    if mode == "replace":
        pairs = [(k, value if k == key else v) for k, v in pairs]
    elif mode == "repeat":
        pairs.append((key, value))
    else:
        pairs = [(k, v) for k, v in pairs if k != key]
    if ON_POSTGRESQL and key in PG_COLUMN_LIMITS and len(value) > PG_COLUMN_LIMITS[key]:
        return

    exchange = send(
        client,
        "POST",
        "/o/authorize/",
        body=hs.urlencoded(pairs),
        content_type="application/x-www-form-urlencoded",
    )

    assert_authorize_outcome(exchange, code_allowed=True)
    if exchange.status == 302 and "code=" in exchange.response["Location"]:
        # A code only for the registered client and redirect URI, for what the user allowed.
        grant = Grant.objects.order_by("-pk").first()
        assert grant.redirect_uri == REDIRECT_URI
        assert grant.application.client_id == consent_form["client_id"]


@given(
    body=hs.hostile_bytes(),
    content_type=st.sampled_from(hs.CONTENT_TYPES),
    signed_in_user=st.booleans(),
)
def test_a_consent_post_of_garbage_is_refused(
    client, user, app, body, content_type, signed_in_user
):
    if signed_in_user:
        client.force_login(user)
    else:
        client.logout()

    exchange = send(client, "POST", "/o/authorize/", body=body, content_type=content_type)

    assert_authorize_outcome(exchange)
    if not signed_in_user and exchange.status == 302:
        assert urlsplit(exchange.response["Location"]).path == "/accounts/login/", str(exchange)


# --- Pinned bugs ----------------------------------------------------------------------------------


def test_max_age_with_thousands_of_digits_is_not_a_server_error(signed_in, app):
    pairs = genuine_query(app) + [(b"max_age", b"9" * 5000)]

    exchange = send(signed_in, "GET", "/o/authorize/", query=hs.urlencoded(pairs))

    assert_authorize_outcome(exchange)


@pytest.mark.parametrize("claims", ["{bad", "[" * 3000])
def test_malformed_claims_parameter_gets_invalid_request_from_our_error_page_or_redirect(
    signed_in, app, claims
):
    pairs = genuine_query(app) + [(b"claims", quote(claims, safe="").encode())]

    exchange = send(signed_in, "GET", "/o/authorize/", query=hs.urlencoded(pairs))

    assert_authorize_outcome(exchange)
    if exchange.status == 302:
        assert "error=invalid_request" in exchange.response["Location"]
    else:
        assert b"invalid_request" in exchange.response.content, str(exchange)


def test_consent_with_a_100_kb_code_challenge_issues_no_code(client, user, consent_form):
    client.force_login(user)
    form = {**consent_form, "code_challenge": "a" * (100 * 1024)}

    exchange = send(
        client,
        "POST",
        "/o/authorize/",
        body=hs.urlencoded(consent_pairs(form)),
        content_type="application/x-www-form-urlencoded",
    )

    assert_authorize_outcome(exchange)
    assert "code=" not in exchange.response.get("Location", ""), str(exchange)


def test_consent_with_a_100_kb_nonce_is_not_a_server_error(client, user, consent_form):
    client.force_login(user)
    form = {**consent_form, "nonce": "n" * (100 * 1024)}

    exchange = send(
        client,
        "POST",
        "/o/authorize/",
        body=hs.urlencoded(consent_pairs(form)),
        content_type="application/x-www-form-urlencoded",
    )

    assert_authorize_outcome(exchange, code_allowed=True)


@pytest.mark.parametrize("case", ["denied", "invalid_scope", "unsupported_response_type"])
def test_error_redirects_carry_iss(signed_in, app, consent_form, case):
    if case == "denied":
        form = {k: v for k, v in consent_form.items() if k != "allow"}
        exchange = send(
            signed_in,
            "POST",
            "/o/authorize/",
            body=hs.urlencoded(consent_pairs(form)),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        field, value = ("scope", b"nope") if case == "invalid_scope" else ("response_type", b"x")
        pairs = [(k, value if k == field.encode() else v) for k, v in genuine_query(app)]
        exchange = send(signed_in, "GET", "/o/authorize/", query=hs.urlencoded(pairs))

    assert_authorize_outcome(exchange)
    assert exchange.status == 302, str(exchange)
    query = parse_qs(urlsplit(exchange.response["Location"]).query)
    assert query.get("iss") == ["http://testserver/o"], str(exchange)
