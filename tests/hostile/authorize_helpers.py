"""Helpers the hostile authorize-endpoint tests share: a genuine query and the outcomes allowed."""

from urllib.parse import parse_qs, quote, urlsplit

from tests.factories import REDIRECT_URI
from tests.hostile.harness import (
    AUTHORIZE_REDIRECT_ERRORS,
    Exchange,
    assert_no_server_error,
    assert_nothing_changed,
    is_html,
)
from tests.oauth_helpers import authorize_params, pkce_pair


def genuine_query(app) -> list[tuple[bytes, bytes]]:
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge)
    return [(k.encode(), quote(v, safe="").encode()) for k, v in params.items()]


def assert_authorize_outcome(exchange: Exchange, *, code_allowed: bool = False) -> None:
    assert_no_server_error(exchange)
    response = exchange.response
    if exchange.status == 200:
        assert is_html(exchange), str(exchange)
    elif exchange.status in (400, 403, 404, 405):
        assert "Location" not in response, str(exchange)
    elif exchange.status == 302:
        location = response["Location"]
        parts = urlsplit(location)
        if not parts.scheme and not parts.netloc:
            # Our own pages only: sign in (prompt=login, max_age) or sign up (prompt=create).
            assert parts.path in ("/accounts/login/", "/accounts/signup/"), str(exchange)
        else:
            assert location.startswith(REDIRECT_URI + "?"), f"redirected off-site:\n{exchange}"
            query = parse_qs(parts.query)
            if "code" in query:
                assert code_allowed, f"a code without consent:\n{exchange}"
            else:
                assert query.get("error", [""])[0] in AUTHORIZE_REDIRECT_ERRORS, str(exchange)
    else:
        raise AssertionError(f"unexpected status:\n{exchange}")
    if not (exchange.status == 302 and "code=" in response["Location"]):
        assert_nothing_changed(exchange)
