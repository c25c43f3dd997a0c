"""offline_access over real HTTP with Authlib's ``OAuth2Session`` as the client and a
``requests`` session as the browser, against pytest-django's ``live_server``:

- without offline_access, the browser signing out ends the refresh token (``invalid_grant``);
- with it, the client refreshes after the sign-out;
- a strict client ("refresh tokens only with offline_access") gets no refresh token without it.
"""

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.e2e.protocol_helpers import HTTP_TIMEOUT, approve_consent, discovery, sign_in
from tests.factories import CLIENT_SECRET, ApplicationFactory

USER_PASSWORD = "correct-horse-battery"  # UserFactory's password for the `user` fixture

# live_server tests are transactional; serialized_rollback restores the migrations' scopes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def plain_http_live_server(settings, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def connect(base_url: str, browser: requests.Session, *, scope: str, **app_fields):
    """Register a client, run the code flow with Authlib; return (client, token, endpoint)."""
    redirect_uri = f"{base_url}/demo/callback"
    app = ApplicationFactory(redirect_uris=redirect_uri, **app_fields)
    oauth = OAuth2Session(
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        scope=scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )
    metadata = discovery(base_url)
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(20)
    )
    location = approve_consent(browser, url)
    token = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    return oauth, token, metadata["token_endpoint"]


def sign_out(base_url: str, browser: requests.Session) -> None:
    response = browser.post(
        f"{base_url}/accounts/logout/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{base_url}/accounts/"},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code in (200, 302), response.text[:300]


def test_signing_out_ends_refresh_tokens_without_offline_access(live_server, user):
    browser = sign_in(live_server.url, "alice", USER_PASSWORD)
    oauth, token, token_endpoint = connect(live_server.url, browser, scope="openid colors:read")
    assert token["refresh_token"]

    sign_out(live_server.url, browser)

    with pytest.raises(OAuthError) as refused:
        oauth.refresh_token(token_endpoint)
    assert refused.value.error == "invalid_grant"


def test_offline_access_refreshes_after_signing_out(live_server, user):
    browser = sign_in(live_server.url, "alice", USER_PASSWORD)
    oauth, token, token_endpoint = connect(
        live_server.url, browser, scope="openid colors:read offline_access"
    )
    assert "offline_access" in token["scope"].split()

    sign_out(live_server.url, browser)
    refreshed = oauth.refresh_token(token_endpoint)

    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"]


def test_a_strict_client_gets_no_refresh_token_without_offline_access(live_server, user):
    browser = sign_in(live_server.url, "alice", USER_PASSWORD)

    _oauth, token, _endpoint = connect(
        live_server.url,
        browser,
        scope="openid colors:read",
        refresh_tokens_need_offline_access=True,
    )

    assert token["access_token"]
    assert "refresh_token" not in token
