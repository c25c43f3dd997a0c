"""A real browser (Debian's Chromium, driven by Playwright) signs in, reads the consent page
and presses Allow or Deny; the app's callback receives a code or access_denied."""

import os
import shutil
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.factories import PublicApplicationFactory, UserFactory
from tests.oauth_helpers import pkce_pair

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, settings):
    # The live server speaks plain http; with debug off the session cookie would be Secure.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    # Let the last page's requests finish before the live server shuts down under them.
    page.wait_for_load_state("networkidle")
    context.close()


def start_sign_in(page, live_server):
    UserFactory(username="alice", email="alice@example.test")
    app = PublicApplicationFactory(
        name="Colors Mobile", redirect_uris="http://127.0.0.1:8765/demo/callback"
    )
    _verifier, challenge = pkce_pair()
    # A loopback IP (not "localhost"), so the public client may use the live server's port.
    base_url = live_server.url.replace("localhost", "127.0.0.1")
    callback = f"{base_url}/demo/callback"
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": callback,
        "scope": "openid colors:read",
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"{base_url}/o/authorize/?{urlencode(params)}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/o/authorize/**")
    return app


def callback_params(page):
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_browser_user_allows_and_app_receives_a_code(page, live_server):
    start_sign_in(page, live_server)
    assert page.get_by_role(
        "heading", name="Colors Mobile wants to access your account"
    ).is_visible()
    assert page.get_by_text("See your saved colors").is_visible()

    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback?**")

    params = callback_params(page)
    assert params["state"] == "browser-state"
    assert len(params["code"]) >= 20
    assert page.get_by_role("heading", name="Authorization code received").is_visible()


def test_browser_user_denies_and_app_receives_access_denied(page, live_server):
    start_sign_in(page, live_server)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url("**/demo/callback?**")

    params = callback_params(page)
    assert params["error"] == "access_denied"
    assert params["state"] == "browser-state"
    assert "code" not in params
