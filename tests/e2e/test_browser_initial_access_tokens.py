"""An admin issues an initial access token in a real browser (Debian's Chromium): it is shown
once, on the answer to the form, and never again. Screenshots at 1280 and 390 wide are saved
under test-artifacts/ (admin-iat-*.png)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, needs_chromium

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]


@pytest.fixture
def screenshot_dir():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


ADMIN_PASSWORD = "an-admin-passphrase-for-the-browser-9"


@pytest.mark.parametrize("width", [1280, 390])
def test_admin_issues_an_initial_access_token_and_sees_it_once(
    browser, settings, server_url, screenshot_dir, width
):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    get_user_model().objects.create_superuser("root", "root@example.test", ADMIN_PASSWORD)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{server_url}/admin/portal_server/initialaccesstoken/add/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_label("Name").fill("ACME onboarding")
    page.get_by_label("Uses").fill("3")
    page.screenshot(path=str(screenshot_dir / f"admin-iat-issue-{width}.png"), full_page=True)
    page.get_by_role("button", name="Issue the token").click()

    token = page.locator("code.initial-access-token").inner_text()
    assert len(token) >= 40
    expect(page.get_by_text("cannot be shown again")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / f"admin-iat-shown-{width}.png"), full_page=True)
    page.get_by_role("link", name="Back to the initial access tokens").click()
    expect(page.get_by_text("ACME onboarding")).to_be_visible()
    assert token not in page.content()
    page.screenshot(path=str(screenshot_dir / f"admin-iat-list-{width}.png"), full_page=True)
    context.close()
