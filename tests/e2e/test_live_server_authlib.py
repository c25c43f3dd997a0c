"""The whole Authorization Code flow over real HTTP, driven by a client library we did not write.

A ``requests`` session plays the browser (sign in, consent); Authlib's ``OAuth2Session`` plays the
client (authorization URL with PKCE S256, code redemption, API calls, refresh); joserfc verifies
the ID token against the JWKS the server publishes. Proves that an off-the-shelf client
interoperates with the server end to end against pytest-django's ``live_server``:

- a confidential client (``client_secret_basic``) gets tokens, a valid ID token (issuer from
  discovery, audience, nonce), userinfo and the Colors API work, refresh rotates and a reused
  refresh token is refused with ``invalid_grant``;
- a public client (``none``) registered with a loopback redirect may use another port
  (RFC 8252 §7.3).

The browser's and the client's steps (sign-in, consent, ID-token check) are in
``protocol_helpers.py``, shared with the tests that run gunicorn.
"""

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.e2e.protocol_helpers import (
    HTTP_TIMEOUT,
    approve_consent,
    discovery,
    published_jwks,
    query_of,
    sign_in,
    verified_id_token_claims,
)
from tests.factories import CLIENT_SECRET, ApplicationFactory, PublicApplicationFactory

USER_PASSWORD = "correct-horse-battery"  # UserFactory's password for the `user` fixture
SCOPE = "openid profile email colors:read"

# live_server tests are transactional: the database is flushed after each one, which also wipes
# the scopes the data migrations created. serialized_rollback restores them before each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def authorization_code_flow(oauth: OAuth2Session, browser: requests.Session, base_url: str):
    """Authorization URL (PKCE S256, nonce) -> consent -> code redemption.

    Returns (token, nonce, location) with the token already fetched by Authlib.
    """
    metadata = discovery(base_url)
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    assert "code_challenge_method=S256" in url
    location = approve_consent(browser, url)
    token = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    return token, nonce, location


def bearer_get(url: str, access_token: str) -> requests.Response:
    """A resource request with a raw bearer token, outside the Authlib session."""
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)


def new_client(app, *, redirect_uri: str, secret: str | None = None) -> OAuth2Session:
    return OAuth2Session(
        client_id=app.client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def plain_http_live_server(settings, monkeypatch):
    """Cookies that ``requests`` sends over plain http; DB access from the server thread."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


# --- Tests -----------------------------------------------------------------------------------


def test_confidential_client_whole_flow_with_authlib(live_server, user):
    base_url = live_server.url
    redirect_uri = f"{base_url}/demo/callback"
    app = ApplicationFactory(redirect_uris=redirect_uri)
    metadata = discovery(base_url)
    oauth = new_client(app, redirect_uri=redirect_uri, secret=CLIENT_SECRET)

    browser = sign_in(base_url, "alice", USER_PASSWORD)
    token, nonce, location = authorization_code_flow(oauth, browser, base_url)

    assert location.startswith(f"{redirect_uri}?")
    assert query_of(location).get("iss") == metadata["issuer"]  # RFC 9207
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"].split()) == set(SCOPE.split())
    assert token["refresh_token"]

    assert metadata["issuer"] == f"{base_url}/o"
    assert metadata["jwks_uri"] == f"{base_url}/o/.well-known/jwks.json"
    claims = verified_id_token_claims(
        token["id_token"],
        published_jwks(base_url),
        issuer=metadata["issuer"],
        client_id=app.client_id,
        nonce=nonce,
    )
    assert claims["sub"] == str(user.pk)

    userinfo = oauth.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["email"] == "alice@example.test"
    colors = oauth.get(f"{base_url}/api/colors/")
    assert colors.status_code == 200, colors.text
    assert colors.json() == []

    old_access_token, old_refresh_token = token["access_token"], token["refresh_token"]
    refreshed = oauth.refresh_token(metadata["token_endpoint"])
    assert refreshed["access_token"] != old_access_token
    assert refreshed["refresh_token"] != old_refresh_token
    assert oauth.get(f"{base_url}/api/colors/").status_code == 200
    assert bearer_get(f"{base_url}/api/colors/", old_access_token).status_code == 401

    with pytest.raises(OAuthError) as reused:
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=old_refresh_token)
    assert reused.value.error == "invalid_grant"
    # Reuse revokes the whole family, the tokens just issued included.
    assert oauth.get(f"{base_url}/api/colors/").status_code == 401


def test_public_client_loopback_redirect_on_another_port(live_server, user):
    base_url = live_server.url
    app = PublicApplicationFactory()  # registered http://127.0.0.1:8765/callback
    assert app.redirect_uris == "http://127.0.0.1:8765/callback"
    redirect_uri = "http://127.0.0.1:9999/callback"
    metadata = discovery(base_url)
    oauth = new_client(app, redirect_uri=redirect_uri)

    browser = sign_in(base_url, "alice", USER_PASSWORD)
    token, nonce, location = authorization_code_flow(oauth, browser, base_url)

    assert location.startswith(f"{redirect_uri}?")
    assert "code" in query_of(location)
    assert set(token["scope"].split()) == set(SCOPE.split())
    claims = verified_id_token_claims(
        token["id_token"],
        published_jwks(base_url),
        issuer=metadata["issuer"],
        client_id=app.client_id,
        nonce=nonce,
    )
    assert claims["sub"] == str(user.pk)
    colors = oauth.get(f"{base_url}/api/colors/")
    assert colors.status_code == 200, colors.text
