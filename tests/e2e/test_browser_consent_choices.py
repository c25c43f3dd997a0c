"""An end user, in a real browser, at 1280 and 390 pixels wide: approves an app once (Remember
my choice unticked, offline_access in plain words) and is asked again; finds a suspended app
marked on Connected apps and the plain-words page it leads to; removes an app's access through
the confirmation page. Screenshots are saved under test-artifacts/."""

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from oauth_portal.server import consents
from oauth_portal.server.models import Application, Consent
from tests.e2e.conftest import needs_chromium
from tests.factories import PublicApplicationFactory, UserFactory
from tests.oauth_helpers import pkce_pair

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

PASSWORD = "correct-horse-battery"  # UserFactory's


def authorize_url(server_url, app, scope) -> str:
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": f"{server_url}/demo/callback",
        "scope": scope,
        "state": "e2e",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{server_url}/o/authorize/?{urlencode(params)}"


def sign_in(page, server_url, next_path="/accounts/"):
    page.goto(f"{server_url}/accounts/login/?{urlencode({'next': next_path})}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.mark.parametrize("width", [1280, 390])
def test_approve_once_suspended_app_and_confirmed_removal(page, server_url, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    user = UserFactory(username="alice", email="alice@example.test")
    app = PublicApplicationFactory(
        name="Palette Pal", redirect_uris="http://127.0.0.1:8765/demo/callback"
    )
    url = authorize_url(server_url, app, "openid profile colors:read offline_access")

    sign_in(page, server_url, url[len(server_url) :])
    page.wait_for_url("**/o/authorize/**")
    expect(page.get_by_text("Stay connected while you're away")).to_be_visible()
    remember = page.get_by_role("checkbox", name="Remember my choice")
    expect(remember).to_be_checked()
    screenshot(f"consent-offline-access-{width}")
    remember.uncheck()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback?**")

    page.goto(url)  # approved once: asked again; this time remembered
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback?**")
    page.goto(url)  # remembered: no page
    page.wait_for_url("**/demo/callback?**")

    page.goto(url + "&prompt=consent")  # nothing new: confirm what it has
    expect(page.get_by_text("asks you to confirm")).to_be_visible()
    screenshot(f"consent-prompt-consent-{width}")

    suspended = PublicApplicationFactory(
        name="Old Sync", status=Application.Status.SUSPENDED, homepage_url=""
    )
    consents.consent_grant(user=user, application=suspended, scopes=["openid"], resource=[])
    page.goto(f"{server_url}/accounts/apps/")
    expect(page.get_by_text("Suspended", exact=True)).to_be_visible()
    screenshot(f"connected-apps-{width}")

    page.goto(authorize_url(server_url, suspended, "openid"))
    expect(page.get_by_role("heading", name="Old Sync is suspended")).to_be_visible()
    screenshot(f"suspended-app-{width}")

    page.goto(f"{server_url}/accounts/apps/")
    page.get_by_role("link", name="Remove access for Palette Pal").click()
    expect(page.get_by_role("heading", name="Remove access for Palette Pal?")).to_be_visible()
    screenshot(f"connected-apps-confirm-{width}")
    page.get_by_role("button", name="Remove access").click()
    expect(page.get_by_text("Palette Pal can no longer use your account.")).to_be_visible()
    assert not Consent.objects.filter(application=app).exists()
