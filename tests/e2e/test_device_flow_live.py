"""The device flow (RFC 8628) over real HTTP against the live server.

Authlib's ``OAuth2Session`` plays the device: it has no device-flow helper, but its
``fetch_token`` posts any grant type, and raises ``OAuthError`` with the server's ``error``.
``requests`` asks for the codes; a ``requests`` session (and, for the screenshots, Chromium)
plays the user's phone: sign in, type the code, allow or deny on the consent page.
"""

import time

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import expect

from tests.e2e.conftest import needs_chromium
from tests.e2e.protocol_helpers import (
    HTTP_TIMEOUT,
    discovery,
    hidden_inputs,
    sign_in,
    ticked_checkboxes,
)
from tests.factories import ApplicationFactory, UserFactory

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def plain_http_live_server(settings, monkeypatch):
    """Cookies that ``requests`` sends over plain http; DB access from the server thread."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def fast_polling(settings):
    """A 1-second interval, so that the test waits seconds, not minutes."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DEVICE_FLOW_INTERVAL": 1}


@pytest.fixture
def device_app(db):
    from oauth_portal.server.models import Application

    return ApplicationFactory(
        name="Living-room TV",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        redirect_uris="",
    )


def device_session(app) -> OAuth2Session:
    return OAuth2Session(client_id=app.client_id, token_endpoint_auth_method="none")


def request_codes(base_url: str, app, scope: str = "openid profile colors:read") -> dict:
    endpoint = discovery(base_url)["device_authorization_endpoint"]
    response = requests.post(
        endpoint, data={"client_id": app.client_id, "scope": scope}, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 200, response.text
    return response.json()


def poll_error(oauth: OAuth2Session, base_url: str, device_code: str | None) -> str:
    params = {} if device_code is None else {"device_code": device_code}
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(f"{base_url}/o/token/", grant_type=DEVICE_GRANT, **params)
    return refused.value.error


def decide_on_phone(base_url: str, user_code: str, *, allow: bool) -> str:
    """Sign in, open verification_uri, type the code, press Allow or Deny; the result page."""
    phone = sign_in(base_url, "alice", PASSWORD)
    page = phone.get(f"{base_url}/o/device/", timeout=HTTP_TIMEOUT)
    typed = phone.post(
        f"{base_url}/o/device/",
        data={"user_code": user_code.lower(), **hidden_inputs(page.text)},
        headers={"Referer": f"{base_url}/o/device/"},
        timeout=HTTP_TIMEOUT,
    )
    assert typed.status_code == 200, typed.text[:500]
    assert "Living-room TV" in typed.text
    fields = [*hidden_inputs(typed.text, "consent-form").items()]
    fields += ticked_checkboxes(typed.text, "consent-form")
    if allow:
        fields.append(("allow", "true"))
    done = phone.post(
        f"{base_url}/o/device/decide/",
        data=fields,
        headers={"Referer": f"{base_url}/o/device/"},
        timeout=HTTP_TIMEOUT,
    )
    assert done.status_code == 200, done.text[:500]
    return done.text


def test_device_waits_slows_down_and_gets_tokens_once_the_user_allows(
    live_server, fast_polling, device_app
):
    base_url = live_server.url
    UserFactory(username="alice")
    codes = request_codes(base_url, device_app)
    assert codes["verification_uri"] == f"{base_url}/o/device/"
    oauth = device_session(device_app)

    time.sleep(codes["interval"] + 0.2)
    assert poll_error(oauth, base_url, codes["device_code"]) == "authorization_pending"
    assert poll_error(oauth, base_url, codes["device_code"]) == "slow_down"  # no wait

    assert "Return to your device" in decide_on_phone(base_url, codes["user_code"], allow=True)
    time.sleep(codes["interval"] + 5 + 0.2)  # RFC 8628 §3.5: slow_down added 5 seconds
    token = oauth.fetch_token(
        f"{base_url}/o/token/", grant_type=DEVICE_GRANT, device_code=codes["device_code"]
    )
    assert token["scope"] == "openid profile colors:read"
    userinfo = requests.get(
        f"{base_url}/o/userinfo/",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=HTTP_TIMEOUT,
    )
    assert userinfo.json()["preferred_username"] == "alice"
    colors = requests.get(
        f"{base_url}/api/colors/",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=HTTP_TIMEOUT,
    )
    assert colors.status_code == 200
    # Single use: the same device code gets nothing more.
    assert poll_error(oauth, base_url, codes["device_code"]) == "invalid_grant"


def test_device_learns_that_the_user_denied(live_server, fast_polling, device_app):
    base_url = live_server.url
    UserFactory(username="alice")
    codes = request_codes(base_url, device_app)
    assert "Access denied" in decide_on_phone(base_url, codes["user_code"], allow=False)
    time.sleep(codes["interval"] + 0.2)
    assert poll_error(device_session(device_app), base_url, codes["device_code"]) == (
        "access_denied"
    )


def test_device_code_expires(live_server, fast_polling, device_app, settings):
    settings.PORTAL_DEVICE_CODE_EXPIRE_SECONDS = 2
    codes = request_codes(live_server.url, device_app)
    assert codes["expires_in"] == 2
    time.sleep(2.2)
    assert poll_error(device_session(device_app), live_server.url, codes["device_code"]) == (
        "expired_token"
    )


@pytest.mark.parametrize(
    ("device_code", "error"), [("made-up", "invalid_grant"), (None, "invalid_request")]
)
def test_bad_or_missing_device_code_is_an_oauth_error(live_server, device_app, device_code, error):
    assert poll_error(device_session(device_app), live_server.url, device_code) == error


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_device_pages_in_a_browser(page, screenshot, live_server, device_app, width):
    """The three pages a person sees (enter code, consent, done), at desktop and phone widths."""
    page.set_viewport_size({"width": width, "height": 900})
    UserFactory(username="alice", email="alice@example.test")
    codes = request_codes(live_server.url, device_app)
    page.goto(f"{live_server.url}/o/device/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/o/device/")
    expect(page.get_by_role("heading", name="Connect a device")).to_be_visible()
    page.get_by_label("Code shown on your device").fill(codes["user_code"].replace("-", ""))
    screenshot(f"device-enter-code-{width}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text(codes["user_code"])).to_be_visible()
    expect(page.get_by_role("heading", name="Living-room TV wants to access your account"))
    screenshot(f"device-consent-{width}")
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("Return to your device")).to_be_visible()
    screenshot(f"device-done-{width}")


@needs_chromium
def test_developer_registers_a_tv_or_command_line_tool_in_the_portal(page, screenshot, server_url):
    """The kind hides the redirect fields; the app is public, of the device grant, no secret."""
    from oauth_portal.server.models import Application

    UserFactory(username="devon")
    page.goto(f"{server_url}/portal/apps/new/")
    page.get_by_label("Username").fill("devon")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/portal/apps/new/")
    page.get_by_label("App name").fill("Palette CLI")
    page.get_by_label("TV or command-line tool").check()
    assert page.get_by_label("Redirect URIs", exact=True).is_hidden()
    assert page.get_by_label("Back-channel logout URI").is_hidden()
    page.get_by_role("checkbox", name="colors:read See your saved colors").check()
    screenshot("portal-registration-device")
    page.get_by_role("button", name="Register app").click()
    expect(page.get_by_role("heading", name="Palette CLI is registered")).to_be_visible()
    expect(page.get_by_text("It signs users in with the device flow")).to_be_visible()
    screenshot("portal-credentials-device")
    page.get_by_role("link", name="I have saved it: go to the app").click()
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_text("signs users in with the device flow (RFC 8628)")).to_be_visible()
    screenshot("portal-app-device-1280")
    app = Application.objects.get(name="Palette CLI")
    assert (app.client_type, app.authorization_grant_type) == (
        Application.CLIENT_PUBLIC,
        Application.GRANT_DEVICE_CODE,
    )
    assert request_codes(server_url, app, scope="colors:read")["user_code"]
