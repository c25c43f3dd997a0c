"""The whole protocol served by a host site that plugs our apps in: ``tests/host_project``.

That project is ``django-admin startproject host`` plus only the README's "Add it to your Django
project" steps: Django's own ``auth.User``, its own sign-in page and base template. Here it runs
as an operator would run it, every step a subprocess in its directory: a fresh database (a
SQLite file, or a new PostgreSQL database when ``DATABASE_URL`` names PostgreSQL, as in CI's
second pass), ``migrate``, ``createsuperuser --noinput``, DOT's ``createapplication
--algorithm RS256``, then ``gunicorn host.wsgi:application`` on a free loopback port. Off-the-shelf
clients drive it: a ``requests`` session plays the browser, Authlib's ``OAuth2Session`` the
client, joserfc checks the ID token against the published JWKS.
"""

import secrets

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.e2e.protocol_helpers import (
    approve_consent,
    discovery,
    published_jwks,
    query_of,
    sign_in,
    verified_id_token_claims,
)
from tests.host_project.host_site import running_host

HTTP_TIMEOUT = 10
CLIENT_ID = "host-test-app"
CLIENT_SECRET = secrets.token_urlsafe(32)
USERNAME, PASSWORD = "carol", "carol-" + secrets.token_urlsafe(12)
READ_SCOPES = "openid profile email colors:read"


# --- The host site, run as an operator runs it -------------------------------------------------


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The host site serving on a free port: its base URL and the registered redirect URI."""
    create_carol = (
        "from django.contrib.auth import get_user_model; "
        "assert get_user_model()._meta.label == 'auth.User'; "
        f"get_user_model().objects.create_user({USERNAME!r}, 'carol@example.test', "
        f"{PASSWORD!r}, first_name='Carol')"
    )
    with running_host(
        tmp_path_factory.mktemp("host_project"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scripts=(create_carol,),
        superuser=True,
    ) as site:
        yield site


# --- What a client does ------------------------------------------------------------------------


def client_session(host: dict, scope: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        scope=scope,
        redirect_uri=host["redirect_uri"],
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )


def code_flow(host: dict, browser: requests.Session, scope: str):
    """Authorization URL with PKCE S256 and a nonce -> consent -> redemption by Authlib."""
    metadata = discovery(host["url"])
    oauth = client_session(host, scope)
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    location = approve_consent(browser, url)
    assert location.startswith(f"{host['redirect_uri']}?")
    assert query_of(location).get("iss") == metadata["issuer"]  # RFC 9207
    token = oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    return oauth, token, nonce


def colors(host: dict, access_token: str, *, post: dict | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    url = f"{host['url']}/api/colors/"
    if post is None:
        return requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)
    return requests.post(url, json=post, headers=headers, timeout=HTTP_TIMEOUT)


def introspect(host: dict, token: str, *, authenticated: bool = True) -> requests.Response:
    auth = (CLIENT_ID, CLIENT_SECRET) if authenticated else None
    return requests.post(
        f"{host['url']}/o/introspect/", data={"token": token}, auth=auth, timeout=HTTP_TIMEOUT
    )


# --- Tests -------------------------------------------------------------------------------------


def test_discovery_and_jwks_follow_the_host(host):
    metadata = discovery(host["url"])

    assert metadata["issuer"] == f"{host['url']}/o"
    assert metadata["jwks_uri"] == f"{host['url']}/o/.well-known/jwks.json"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["revocation_endpoint"] == f"{host['url']}/o/revoke_token/"
    assert metadata["introspection_endpoint"] == f"{host['url']}/o/introspect/"
    keys = published_jwks(host["url"])["keys"]
    assert [key["kty"] for key in keys] == ["RSA"]


def test_host_sign_in_page_is_the_hosts_own(host):
    page = requests.get(f"{host['url']}/accounts/login/?next=/portal/", timeout=HTTP_TIMEOUT)

    assert page.status_code == 200
    assert "Host site" in page.text  # the host's base.html, not ours
    for field in ('name="username"', 'name="password"', 'name="next"'):
        assert field in page.text


def test_code_flow_api_scopes_refresh_revocation_and_introspection(host):
    browser = sign_in(host["url"], USERNAME, PASSWORD)
    metadata = discovery(host["url"])

    oauth, token, nonce = code_flow(host, browser, READ_SCOPES)
    assert set(token["scope"].split()) == set(READ_SCOPES.split())
    claims = verified_id_token_claims(
        token["id_token"],
        published_jwks(host["url"]),
        issuer=metadata["issuer"],
        client_id=CLIENT_ID,
        nonce=nonce,
    )
    userinfo = oauth.get(metadata["userinfo_endpoint"]).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["preferred_username"] == USERNAME
    assert userinfo["email"] == "carol@example.test"
    assert userinfo["email_verified"] is False  # auth.User has no such field

    # The API: reading needs colors:read, writing colors:write, which this token lacks.
    assert colors(host, token["access_token"]).json() == []
    refused = colors(host, token["access_token"], post={"name": "Sky", "hex": "#3366ff"})
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]

    # Asking for more shows the consent page again; the new token may write.
    _, writer, _ = code_flow(host, browser, READ_SCOPES + " colors:write")
    created = colors(host, writer["access_token"], post={"name": "Sky", "hex": "#3366ff"})
    assert created.status_code == 201, created.text
    assert [color["name"] for color in colors(host, writer["access_token"]).json()] == ["Sky"]

    # Refresh rotates: the new pair works, the old refresh token is refused.
    old_refresh_token = token["refresh_token"]
    refreshed = oauth.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != old_refresh_token
    assert colors(host, refreshed["access_token"]).status_code == 200

    # Introspection needs client authentication, then answers about the client's own token.
    anonymous = introspect(host, refreshed["access_token"], authenticated=False)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    assert introspect(host, refreshed["access_token"]).json()["active"] is True

    # Revocation: the API refuses the token at once, and introspection calls it inactive.
    revoked = requests.post(
        metadata["revocation_endpoint"],
        data={"token": refreshed["access_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=HTTP_TIMEOUT,
    )
    assert revoked.status_code == 200
    after = colors(host, refreshed["access_token"])
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]
    assert introspect(host, refreshed["access_token"]).json() == {"active": False}

    with pytest.raises(OAuthError) as reused:
        oauth.refresh_token(metadata["token_endpoint"], refresh_token=old_refresh_token)
    assert reused.value.error == "invalid_grant"


def test_portal_pages_render_inside_the_hosts_base_template(host):
    browser = sign_in(host["url"], USERNAME, PASSWORD)

    for path in ("/portal/", "/portal/apis/", "/portal/apps/new/"):
        page = browser.get(f"{host['url']}{path}", timeout=HTTP_TIMEOUT)
        assert page.status_code == 200, f"{path}: {page.status_code} {page.text[:500]}"
        assert "Host site" in page.text
        assert "API catalogue" in page.text  # the portal's own navigation


def test_portal_sends_a_stranger_to_the_hosts_sign_in_page(host):
    response = requests.get(f"{host['url']}/portal/", allow_redirects=False, timeout=HTTP_TIMEOUT)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/?next=")


def test_superuser_from_createsuperuser_sees_the_client_in_the_admin(host):
    browser = sign_in(host["url"], "admin", host["admin_password"])

    page = browser.get(f"{host['url']}/admin/portal_server/application/", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200
    assert "Host test app" in page.text


def test_guessing_on_the_hosts_sign_in_page_gets_the_lock_page(host):
    browser = requests.Session()
    login_url = f"{host['url']}/accounts/login/"
    browser.get(login_url, timeout=HTTP_TIMEOUT)
    guesses = [
        browser.post(
            login_url,
            data={
                "username": "mallory",
                "password": f"guess-{attempt}",
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": login_url},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        for attempt in range(6)
    ]

    assert [guess.status_code for guess in guesses[:4]] == [200] * 4  # the form again
    assert guesses[-1].status_code == 429
    assert guesses[-1].headers["Retry-After"]
    assert "Sign-in paused" in guesses[-1].text and "Host site" in guesses[-1].text
    # The page links to the host's own password reset (django.contrib.auth.urls), not ours.
    assert 'href="/accounts/password_reset/"' in guesses[-1].text
