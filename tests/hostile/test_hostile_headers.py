"""Odd headers at every endpoint: a forged Host, garbage Origin, X-Forwarded-For and
User-Agent, duplicated or broken Authorization. Never a 500; nothing changes; no CORS grant for
an origin nobody registered."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import strategies as hs
from tests.hostile.harness import assert_no_server_error, assert_nothing_changed, send
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
ENDPOINTS = [
    ("POST", "/o/token/", b"grant_type=client_credentials"),
    ("POST", "/o/revoke_token/", b"token=abc"),
    ("POST", "/o/introspect/", b"token=abc"),
    ("GET", "/o/userinfo/", None),
    ("GET", "/o/authorize/", None),
    ("POST", "/o/authorize/", b"client_id=x"),
    ("GET", "/o/logout/", None),
    ("GET", "/api/colors/", None),
    ("POST", "/api/colors/", b'{"name": "x", "hex": "#000000"}'),
    ("POST", "/accounts/login/", b"username=alice&password=wrong"),
    ("POST", "/accounts/signup/", b"username=x"),
    ("GET", "/o/.well-known/openid-configuration", None),
    ("GET", "/o/.well-known/jwks.json", None),
    ("GET", "/.well-known/oauth-authorization-server/o", None),
    ("GET", "/portal/", None),
    ("GET", "/healthz", None),
]
CORS_PATHS = {"/o/token/", "/o/revoke_token/", "/o/userinfo/", "/api/colors/"}


def request_to(client, endpoint, **meta):
    method, path, body = endpoint
    content_type = "application/json" if path.startswith("/api/") else FORM
    if body is None:
        return send(client, method, path, **meta)
    return send(client, method, path, body=body, content_type=content_type, **meta)


HOSTS = [
    "evil.example",
    "testserver.evil.example",
    "testserver:abc",
    "[::1",
    "a" * 300,
    "testserver@evil.example",
    "test server",
    "\u2603.example",
    "",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize("host", HOSTS, ids=repr)
def test_a_forged_host_header_is_refused_by_allowed_hosts(client, app, endpoint, host):
    exchange = request_to(client, endpoint, HTTP_HOST=hs.on_the_wire(host))

    assert_no_server_error(exchange)
    if host == "":
        return  # no Host: Django falls back to SERVER_NAME, the test client's "testserver"
    assert exchange.status == 400, str(exchange)
    assert_nothing_changed(exchange)


@given(
    endpoint=st.sampled_from(ENDPOINTS),
    origin=st.one_of(
        st.sampled_from(
            [
                "null",
                "https://evil.example",
                "http://127.0.0.1:8765",
                "https://",
                "file://",
                "https://client.example.test",
                "https://client.example.test.evil.example",
                "*",
            ]
        ),
        hs.hostile_text(),
    ).map(hs.on_the_wire),
    preflight=st.booleans(),
)
def test_garbage_origins_get_no_cors_grant(client, app, public_app, endpoint, origin, preflight):
    public_app.allowed_origins = "https://spa.example.test"
    public_app.save()
    if preflight:
        exchange = send(
            client,
            "OPTIONS",
            endpoint[1],
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        )
    else:
        exchange = request_to(client, endpoint, HTTP_ORIGIN=origin)

    assert_no_server_error(exchange)
    assert_nothing_changed(exchange)
    if endpoint[1] in CORS_PATHS:
        assert "Access-Control-Allow-Origin" not in exchange.response, str(exchange)


def test_a_registered_spa_origin_does_get_its_cors_grant(client, public_app):
    """The positive case, so that the test above cannot pass because CORS is simply off."""
    public_app.allowed_origins = "https://spa.example.test"
    public_app.save()

    exchange = send(
        client,
        "POST",
        "/o/token/",
        body=b"grant_type=x",
        content_type=FORM,
        HTTP_ORIGIN="https://spa.example.test",
    )

    assert exchange.response["Access-Control-Allow-Origin"] == "https://spa.example.test"


@given(
    endpoint=st.sampled_from(ENDPOINTS),
    forwarded_for=hs.hostile_text().map(hs.on_the_wire),
    user_agent=hs.hostile_text().map(hs.on_the_wire),
    trust_proxy=st.booleans(),
)
def test_garbage_forwarded_for_and_user_agent_are_harmless(
    client, app, settings, endpoint, forwarded_for, user_agent, trust_proxy
):
    settings.PORTAL_SIGN_IN_TRUST_X_FORWARDED_FOR = trust_proxy
    exchange = request_to(
        client, endpoint, HTTP_X_FORWARDED_FOR=forwarded_for, HTTP_USER_AGENT=user_agent
    )

    assert_no_server_error(exchange)
    assert_nothing_changed(exchange)


@given(endpoint=st.sampled_from(ENDPOINTS), header=hs.authorization_header().map(hs.on_the_wire))
def test_broken_authorization_headers_are_never_a_server_error(client, app, endpoint, header):
    exchange = request_to(client, endpoint, HTTP_AUTHORIZATION=header)

    assert_no_server_error(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize(
    "header",
    [
        "{basic}, {basic}",
        "{basic},{bearer}",
        "{bearer}, {basic}",
        "{bearer}, {bearer}",
        "{bearer}\t{bearer}",
    ],
)
def test_a_duplicated_authorization_header_authenticates_nobody(client, user, app, header):
    """Proxies join repeated headers with a comma: two credentials are not one credential."""
    token = mint_access_token(user=user, app=app, scope="openid colors:read")
    value = header.format(basic=basic_auth(app.client_id), bearer=f"Bearer {token}")

    token_answer = send(
        client,
        "POST",
        "/o/introspect/",
        body=f"token={token}".encode(),
        content_type=FORM,
        HTTP_AUTHORIZATION=value,
    )
    api_answer = send(client, "GET", "/api/colors/", HTTP_AUTHORIZATION=value)
    userinfo_answer = send(client, "GET", "/o/userinfo/", HTTP_AUTHORIZATION=value)

    for exchange in (token_answer, api_answer, userinfo_answer):
        assert_no_server_error(exchange)
        assert exchange.status in (400, 401, 403), str(exchange)
        assert_nothing_changed(exchange)


@pytest.mark.parametrize("value", ["Bearer " + "a" * (100 * 1024), "Basic " + "QUFB" * 30000])
def test_a_100_kb_authorization_header_is_refused(client, app, value):
    for endpoint in ENDPOINTS:
        exchange = request_to(client, endpoint, HTTP_AUTHORIZATION=value)
        assert_no_server_error(exchange)
        assert_nothing_changed(exchange)
