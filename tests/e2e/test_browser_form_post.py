"""``response_mode=form_post`` in a real browser (Debian's Chromium): with JavaScript the
response posts itself to the app at once; without it the user presses Continue. Either way the
app receives the code in a POST body, never in the address bar."""

from urllib.parse import parse_qs, urlencode

import pytest
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
    page.get_by_role("button", name="Sign in", exact=True).click()
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
