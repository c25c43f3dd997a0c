"""A new developer, in a real browser: signs up, registers a web app, copies its credentials
from the page, and runs the playground to a successful Colors API call; then registers a
single-page app and gets a token for it too. Screenshots under test-artifacts/:
portal-registration, portal-credentials, portal-playground-result (390 px wide, as a phone),
plus desktop-width views of the same pages (portal-*-desktop)."""

import pytest

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application
from tests.e2e.conftest import needs_chromium

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_up(page, server_url):
    page.goto(f"{server_url}/accounts/signup/?next=/portal/")
    page.get_by_label("Username").fill("devon")
    page.get_by_label("E-mail address").fill("devon@example.test")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase-42")
    page.get_by_label("Password confirmation").fill("a-long-unusual-passphrase-42")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/portal/")


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def desktop_screenshot(page, screenshot, name):
    page.set_viewport_size(DESKTOP)
    screenshot(f"{name}-desktop")
    page.set_viewport_size(PHONE)


def run_playground(page, *, secret: str | None, screenshot=None):
    """From the playground page with the app chosen: build the URL, consent, exchange."""
    page.get_by_role("button", name="Build the authorization URL").click()
    expect(page.get_by_text("code_challenge_method", exact=True)).to_be_visible()
    if screenshot:
        screenshot("portal-playground-authorization-url")
    page.get_by_role("link", name="Sign in and consent").click()
    page.wait_for_url("**/o/authorize/**")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/portal/playground/callback?**")
    if screenshot:
        screenshot("portal-playground-callback")
    if secret is not None:
        page.get_by_label("Client secret").fill(secret)
    page.get_by_role("button", name="Exchange the code").click()
    page.wait_for_url("**/portal/playground/exchange/")


def test_new_developer_registers_apps_and_calls_the_api_from_the_playground(
    page, server_url, screenshot
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    sign_up(page, server_url)
    expect(page.get_by_text("Register your first app")).to_be_visible()
    page.get_by_role("link", name="Register an app").first.click()

    page.get_by_label("App name").fill("Palette Web")
    page.get_by_label("Web app with a server").check()
    page.get_by_label("Description").fill("Keeps your favourite colors.")
    page.get_by_label("Redirect URIs", exact=True).fill("https://palette.example.test/callback")
    page.get_by_role("checkbox", name="colors:read See your saved colors").check()
    assert page.get_by_label("Allowed origins").is_hidden()  # only for single-page apps
    screenshot("portal-registration")
    desktop_screenshot(page, screenshot, "portal-registration")
    page.get_by_role("button", name="Register app").click()

    expect(page.get_by_role("heading", name="Palette Web is registered")).to_be_visible()
    expect(page.get_by_text("it cannot be shown again")).to_be_visible()
    page.get_by_role("button", name="Copy client ID").click()
    expect(page.locator(".copy-status")).to_have_text("Copied client ID.")
    client_id = clipboard(page)
    page.get_by_role("button", name="Copy client secret").click()
    expect(page.locator(".copy-status")).to_have_text("Copied client secret.")
    secret = clipboard(page)
    app = Application.objects.get(name="Palette Web")
    assert client_id == app.client_id
    assert len(secret) > 40 and secret not in app.client_secret
    screenshot("portal-credentials")
    desktop_screenshot(page, screenshot, "portal-credentials")

    page.get_by_role("link", name="Try it in the playground").click()
    run_playground(page, secret=secret, screenshot=screenshot)
    expect(page.get_by_text("Tokens received.")).to_be_visible()
    expect(page.get_by_text("Signature verified")).to_be_visible()
    assert page.locator("#api-response").inner_text().startswith("HTTP/1.1 200")
    assert "Basic base64(" in page.locator("#token-request").inner_text()
    assert secret not in page.content()
    screenshot("portal-playground-result")
    desktop_screenshot(page, screenshot, "portal-playground-result")

    refresh = page.locator("form", has=page.get_by_role("button", name="Refresh the tokens"))
    refresh.get_by_label("Client secret").fill(secret)
    refresh.get_by_role("button").click()
    expect(page.get_by_text("The old refresh token no longer works")).to_be_visible()
    assert page.locator("#api-response").inner_text().startswith("HTTP/1.1 200")

    # A single-page app: public, no secret, its origin registered for CORS.
    page.goto(f"{server_url}/portal/apps/new/")
    page.get_by_label("App name").fill("Palette SPA")
    page.get_by_label("Single-page app").check()
    page.get_by_label("Redirect URIs", exact=True).fill("http://127.0.0.1:5173/callback")
    page.get_by_label("Allowed origins").fill("http://127.0.0.1:5173")
    page.get_by_role("checkbox", name="colors:read See your saved colors").check()
    page.get_by_role("button", name="Register app").click()
    expect(page.get_by_role("heading", name="Palette SPA is registered")).to_be_visible()
    assert page.get_by_label("Client secret").count() == 0
    page.get_by_role("link", name="Try it in the playground").click()
    run_playground(page, secret=None)
    assert page.locator("#api-response").inner_text().startswith("HTTP/1.1 200")

    spa = Application.objects.get(name="Palette SPA")
    assert spa.client_type == Application.CLIENT_PUBLIC
    assert AuditEvent.objects.filter(
        application=spa, type=AuditEvent.Type.TOKEN_ISSUED, user__username="devon"
    ).exists()

    # For the people who look at the artifacts: the app page and the API catalogue.
    page.goto(f"{server_url}/portal/apps/{app.pk}/")
    screenshot("portal-app-page")
    desktop_screenshot(page, screenshot, "portal-app-page")
    page.goto(f"{server_url}/portal/apis/")
    screenshot("portal-api-catalogue")
    page.get_by_role("link", name="Interactive API docs").click()
    expect(page.get_by_text("List your saved colors")).to_be_visible()
    screenshot("portal-api-docs")
