"""A developer, in a real browser: subscribes a sandbox app to an API from the catalogue, lists
a test user and requests production on the app's page; a stranger is turned away with a
readable page. Screenshots under test-artifacts/: portal-catalogue-subscribe and
portal-app-environment (390 px wide), their -desktop twins (1280 px), and sandbox-refused."""

import pytest

from oauth_portal.server.models import ApiResource, Application, Subscription
from tests.e2e.conftest import ARTIFACTS, needs_chromium
from tests.factories import ApplicationFactory, ScopeFactory, UserFactory
from tests.oauth_helpers import authorize_params, authorize_url, pkce_pair

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(page, server_url, username: str) -> None:
    page.goto(f"{server_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def both_widths(page, screenshot, name: str, *, parts: list[str]) -> None:
    """The whole page at phone and desktop widths, and the parts this feature adds (phone)."""
    screenshot(name)
    for n, part in enumerate(parts):
        page.locator(part).screenshot(path=str(ARTIFACTS / f"{name}-part{n}.png"))
    page.set_viewport_size(DESKTOP)
    screenshot(f"{name}-desktop")
    page.set_viewport_size(PHONE)


def test_developer_subscribes_from_the_catalogue_and_manages_the_sandbox(
    page, server_url, screenshot
):
    developer = UserFactory(username="devon", email="devon@example.test")
    UserFactory(username="stranger")
    app = ApplicationFactory(
        user=developer, name="Palette", environment=Application.Environment.SANDBOX
    )
    orders = ApiResource.objects.create(
        name="Orders API",
        identifier="https://api.example.test/orders",
        description="Orders placed by the signed-in user.",
        subscription_requires_approval=True,
    )
    ScopeFactory(name="orders:read", description="See your orders", api=orders)

    sign_in(page, server_url, "devon")
    page.goto(f"{server_url}/portal/apis/")
    colors = page.locator("section.api-entry", has_text="Colors API")
    colors.screenshot(path=str(ARTIFACTS / "portal-catalogue-subscribe-form.png"))
    colors.get_by_label("Subscribe your app").select_option(label="Palette")
    colors.get_by_role("button", name="Subscribe to Colors API").click()
    expect(page.get_by_text("Palette is subscribed to Colors API")).to_be_visible()
    page.locator("section.api-entry", has_text="Orders API").get_by_role(
        "button", name="Subscribe to Orders API"
    ).click()
    expect(page.get_by_text("pending approval: its scopes work")).to_be_visible()
    both_widths(
        page, screenshot, "portal-catalogue-subscribe", parts=["section.api-entry >> nth=0"]
    )

    page.goto(f"{server_url}/portal/")
    page.locator("ul.app-list").screenshot(path=str(ARTIFACTS / "portal-app-list-part.png"))
    page.goto(f"{server_url}/portal/apps/{app.pk}/")
    page.get_by_label("Add a test user (username or e-mail address)").fill("stranger")
    page.get_by_role("button", name="Add test user").click()
    expect(page.get_by_text("stranger can now sign in to this app.")).to_be_visible()
    page.get_by_role("button", name="Request production").click()
    expect(page.get_by_text("Production requested on")).to_be_visible()
    expect(page.get_by_text("Pending approval", exact=True)).to_be_visible()
    both_widths(
        page,
        screenshot,
        "portal-app-environment",
        parts=[
            "header.app-header",
            "section[aria-labelledby=environment-title]",
            "section[aria-labelledby=subscriptions-title]",
        ],
    )

    statuses = dict(Subscription.objects.values_list("api__name", "status"))
    assert statuses == {"Colors API": "approved", "Orders API": "pending"}
    app.refresh_from_db()
    assert app.production_requested_at is not None


def test_a_stranger_sees_why_a_sandbox_app_refuses_them(page, server_url, screenshot):
    app = ApplicationFactory(name="Palette", environment=Application.Environment.SANDBOX)
    UserFactory(username="stranger")
    _verifier, challenge = pkce_pair()

    sign_in(page, server_url, "stranger")
    response = page.goto(server_url + authorize_url(authorize_params(app, challenge=challenge)))

    assert response.status == 403
    expect(page.get_by_text("only its developer and the test users they listed")).to_be_visible()
    screenshot("sandbox-refused")
