"""Standards clients expect, over real HTTP against the live server:

- a client registers itself (RFC 7591) with an initial access token, reads and updates its
  registration (RFC 7592), then runs the authorization code flow with PKCE through Authlib's
  ``OAuth2Session`` and calls the API; deleting the registration ends it;
- an RFC 9728-aware client starts from an unauthenticated API call and finds its way to the
  authorization server: ``WWW-Authenticate`` -> resource metadata -> server metadata -> us.

Authlib's RFC 7591 module is server-side only, so registration speaks plain ``requests``.
"""

import re
from datetime import timedelta

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone

from oauth_portal.server import dynamic_registration
from tests.e2e.protocol_helpers import HTTP_TIMEOUT, approve_consent, discovery, sign_in

USER_PASSWORD = "correct-horse-battery"  # UserFactory's password for the `user` fixture

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def plain_http_live_server(settings, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def registration_call(method: str, url: str, token: str, body: dict | None = None):
    return requests.request(
        method,
        url,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT,
    )


def test_self_registered_client_manages_itself_and_runs_the_code_flow(live_server, user):
    base_url = live_server.url
    metadata = discovery(base_url)
    _issued, initial_token = dynamic_registration.initial_access_token_issue(
        name="e2e", expires_at=timezone.now() + timedelta(hours=1), uses=1, actor=None
    )
    redirect_uri = f"{base_url}/demo/callback"

    # RFC 7591: register.
    registered = registration_call(
        "POST",
        metadata["registration_endpoint"],
        initial_token,
        {
            "client_name": "E2E partner",
            "redirect_uris": [f"{base_url}/old-callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "openid colors:read",
        },
    )
    assert registered.status_code == 201, registered.text
    client = registered.json()

    # RFC 7592: read, then update (which rotates the registration access token).
    read = registration_call(
        "GET", client["registration_client_uri"], client["registration_access_token"]
    )
    assert read.status_code == 200 and "client_secret" not in read.json()
    update = {**read.json(), "redirect_uris": [redirect_uri]}
    updated = registration_call(
        "PUT", client["registration_client_uri"], client["registration_access_token"], update
    )
    assert updated.status_code == 200, updated.text
    registration_token = updated.json()["registration_access_token"]
    assert registration_token != client["registration_access_token"]
    assert updated.json()["redirect_uris"] == [redirect_uri]

    # The authorization code flow with PKCE, by Authlib, as the registered client.
    oauth = OAuth2Session(
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        token_endpoint_auth_method="client_secret_basic",
        scope="openid colors:read",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(20)
    )
    location = approve_consent(sign_in(base_url, "alice", USER_PASSWORD), url)
    token = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    assert set(token["scope"].split()) == {"openid", "colors:read"}
    assert oauth.get(f"{base_url}/api/colors/").status_code == 200

    # RFC 7592: delete; the client is gone, its tokens with it.
    deleted = registration_call("DELETE", client["registration_client_uri"], registration_token)
    assert deleted.status_code == 204
    assert oauth.get(f"{base_url}/api/colors/").status_code == 401
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


def test_rfc9728_client_finds_the_authorization_server_from_a_401(live_server):
    base_url = live_server.url
    answer = requests.get(f"{base_url}/api/colors/", timeout=HTTP_TIMEOUT)
    assert answer.status_code == 401
    params = dict(re.findall(r'(\w+)="([^"]*)"', answer.headers["WWW-Authenticate"]))
    assert "error" not in params

    resource = requests.get(params["resource_metadata"], timeout=HTTP_TIMEOUT).json()
    assert resource["resource"] == "https://api.example.test/colors"
    assert "colors:read" in resource["scopes_supported"]
    (issuer,) = resource["authorization_servers"]

    # RFC 8414 §3: the well-known segment goes between the host and the issuer's path.
    host, _, issuer_path = issuer.partition("://")[2].partition("/")
    server = requests.get(
        f"{base_url}/.well-known/oauth-authorization-server/{issuer_path}", timeout=HTTP_TIMEOUT
    ).json()
    assert server["issuer"] == issuer == discovery(base_url)["issuer"]
    assert server["registration_endpoint"] == f"{base_url}/o/register/"
