"""A real browser (Debian's Chromium, driven by Playwright) signs in, reads the consent page
and presses Allow or Deny; the app's callback receives a code or access_denied."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import needs_chromium
from tests.factories import PublicApplicationFactory, UserFactory
from tests.oauth_helpers import pkce_pair

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]


def start_sign_in(page, server_url):
    UserFactory(username="alice", email="alice@example.test")
    app = PublicApplicationFactory(
        name="Colors Mobile", redirect_uris="http://127.0.0.1:8765/demo/callback"
    )
    _verifier, challenge = pkce_pair()
    callback = f"{server_url}/demo/callback"
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": callback,
        "scope": "openid colors:read",
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"{server_url}/o/authorize/?{urlencode(params)}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/o/authorize/**")
    return app


def callback_params(page):
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_browser_user_allows_and_app_receives_a_code(page, server_url):
    start_sign_in(page, server_url)
    expect(
        page.get_by_role("heading", name="Colors Mobile wants to access your account")
    ).to_be_visible()
    expect(page.get_by_text("See your saved colors")).to_be_visible()

    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback?**")

    params = callback_params(page)
    assert params["state"] == "browser-state"
    assert len(params["code"]) >= 20
    expect(page.get_by_role("heading", name="Authorization code received")).to_be_visible()


def test_browser_user_denies_and_app_receives_access_denied(page, server_url):
    start_sign_in(page, server_url)
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url("**/demo/callback?**")

    params = callback_params(page)
    assert params["error"] == "access_denied"
    assert params["state"] == "browser-state"
    assert "code" not in params
