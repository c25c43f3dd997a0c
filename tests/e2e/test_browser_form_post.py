"""``response_mode=form_post`` in a real browser (Debian's Chromium): with JavaScript the
response posts itself to the app at once; without it the user presses Continue. Either way the
app receives the code in a POST body, never in the address bar."""

from urllib.parse import parse_qs, urlencode

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import needs_chromium
from tests.factories import PublicApplicationFactory, UserFactory
from tests.oauth_helpers import pkce_pair

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    needs_chromium,
]


@pytest.fixture
def form_post_context(browser, settings, request):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    width, javascript = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 844}, java_script_enabled=javascript
    )
    yield context, javascript
    context.close()


def authorize_url(server_url: str) -> str:
    app = PublicApplicationFactory(
        name="Colors Mobile", redirect_uris="http://127.0.0.1:8765/demo/callback"
    )
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "response_mode": "form_post",
        "client_id": app.client_id,
        "redirect_uri": f"{server_url}/demo/callback",
        "scope": "openid colors:read",
        "state": "browser-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{server_url}/o/authorize/?{urlencode(params)}"


@pytest.mark.parametrize(
    "form_post_context",
    [(390, True), (390, False), (1280, False)],
    indirect=True,
    ids=["phone-js", "phone-no-js", "desktop-no-js"],
)
def test_code_reaches_the_app_in_a_post(form_post_context, server_url, screenshot_dir):
    context, javascript = form_post_context
    page = context.new_page()
    UserFactory(username="alice", email="alice@example.test")
    page.goto(authorize_url(server_url))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/o/authorize/**")

    def is_callback_post(request):
        return request.method == "POST" and "/demo/callback" in request.url

    if javascript:
        with page.expect_request(is_callback_post) as posted:
            page.get_by_role("button", name="Allow").click()
    else:
        page.get_by_role("button", name="Allow").click()
        expect(page.get_by_role("heading", name="Returning to Colors Mobile")).to_be_visible()
        width = page.viewport_size["width"]
        page.screenshot(path=str(screenshot_dir / f"form-post-no-js-{width}.png"), full_page=True)
        with page.expect_request(is_callback_post) as posted:
            page.get_by_role("button", name="Continue").click()

    body = parse_qs(posted.value.post_data)
    assert body["state"] == ["browser-state"]
    assert len(body["code"][0]) >= 20
    assert "code=" not in posted.value.url


@pytest.fixture
def screenshot_dir():
    from tests.e2e.conftest import ARTIFACTS

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
