"""Hostile input at the Colors API: RFC 6750 answers for every broken credential, JSON 4xx for
every broken body (wrong type, invalid UTF-8, 10 000 levels of nesting), and a color saved
only for a well-formed request."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apis.models import Color
from tests.hostile import strategies as hs
from tests.hostile.harness import (
    assert_bearer_refusal,
    assert_no_server_error,
    assert_nothing_changed,
    json_body,
    send,
)
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db

API_CONTENT_TYPES = hs.CONTENT_TYPES + [
    "application/json; charset=utf-16",
    "application/json; charset=latin-1",
    "application/merge-patch+json",
    "application/vnd.api+json",
]


@pytest.fixture
def token(user, app):
    return mint_access_token(user=user, app=app, scope="colors:read colors:write")


@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS"]),
    header=hs.authorization_header().map(hs.on_the_wire),
)
def test_hostile_credentials_get_an_rfc6750_answer(client, token, method, header):
    exchange = send(client, method, "/api/colors/", HTTP_AUTHORIZATION=header)

    assert_bearer_refusal(exchange, allowed_statuses=(400, 401, 403))
    if method != "HEAD":
        json_body(exchange)


@given(
    body=hs.json_body(),
    content_type=st.sampled_from(API_CONTENT_TYPES),
)
def test_hostile_bodies_save_nothing_and_get_a_json_4xx(client, token, body, content_type):
    exchange = send(
        client,
        "POST",
        "/api/colors/",
        body=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert_no_server_error(exchange)
    if exchange.status == 201:
        # Only a well-formed color may be saved, exactly one, in lower case.
        saved = json_body(exchange)
        assert exchange.added == {"apis.Color": 1} and set(exchange.changed) == {"apis.Color"}
        assert Color.objects.get(pk=saved["id"]).hex == saved["hex"].lower()
        return
    assert exchange.status in (400, 415), str(exchange)
    json_body(exchange)
    assert_nothing_changed(exchange)


@given(data=hs.json_value(max_leaves=6))
def test_json_documents_of_every_shape_save_nothing_unless_they_are_a_color(client, token, data):
    body = json.dumps({"name": data, "hex": data} if isinstance(data, str) else data).encode()

    exchange = send(
        client,
        "POST",
        "/api/colors/",
        body=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert_no_server_error(exchange)
    assert exchange.status in (201, 400), str(exchange)
    if exchange.status == 201:
        assert exchange.added == {"apis.Color": 1}, str(exchange)
    else:
        assert_nothing_changed(exchange)


@pytest.mark.parametrize("depth", [1000, 10_000, 100_000])
@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_deeply_nested_json_is_a_400(client, token, depth, opener):
    closer = b"]" if opener == b"[" else b"}"
    body = opener * depth + (b"" if opener == b"[" else b"1") + closer * depth

    exchange = send(
        client,
        "POST",
        "/api/colors/",
        body=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert exchange.status == 400, str(exchange)
    assert "detail" in json_body(exchange)
    assert_nothing_changed(exchange)


@given(
    query=hs.form_pairs(["format", "page", "ordering", "search", "access_token", "limit"]).map(
        hs.urlencoded
    )
)
def test_hostile_query_strings_are_answered_in_json(client, token, query):
    if hs.has_invalid_percent_escape(query):
        return  # test_query_string_escapes.py
    exchange = send(
        client, "GET", "/api/colors/", query=query, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert_no_server_error(exchange)
    # DRF answers an unknown ?format= with 404; the token in the query is ignored (RFC 9700).
    assert exchange.status in (200, 400, 401, 404, 406), str(exchange)
    exchange.response.json()  # JSON whatever the status
    assert_nothing_changed(exchange)


@given(accept=hs.hostile_text(huge=False).map(hs.on_the_wire))
def test_hostile_accept_headers_get_json_or_406(client, token, accept):
    exchange = send(
        client, "GET", "/api/colors/", HTTP_ACCEPT=accept, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert_no_server_error(exchange)
    assert exchange.status in (200, 406), str(exchange)
    assert exchange.response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_405(client, token, method):
    exchange = send(
        client,
        method,
        "/api/colors/",
        body=b'{"name": "x", "hex": "#000000"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert exchange.status == 405, str(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize("charset", ["bogus", "utf-99", "\u2603", "utf-16", "latin-1"])
def test_a_declared_charset_never_causes_a_server_error(client, token, charset):
    """DRF reads JSON as UTF-8 whatever the declared charset (Django's test client, not the
    server, chokes on an unknown one: hence raw bytes here)."""
    exchange = send(
        client,
        "POST",
        "/api/colors/",
        body=b'{"name": "x", "hex": "#000000"}',
        content_type=hs.on_the_wire(f"application/json; charset={charset}"),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert_no_server_error(exchange)
    assert exchange.status in (201, 400, 415), str(exchange)
    json_body(exchange)
