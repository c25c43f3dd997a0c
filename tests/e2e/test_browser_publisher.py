"""An API publisher, in a real browser: registers an API with an api:// identifier, adds a
scope and an operation, waits for an admin's approval, then finds it in the catalogue.
Authlib, as a service client, is refused the API's scope until then and gets a token after.
Screenshots under test-artifacts/: publisher-apis, publisher-api-submit, publisher-api,
catalogue-with-published-api (390 px wide, as a phone), and the same at 1280 (*-desktop)."""

import pytest
from authlib.integrations.requests_client import OAuth2Session
from django.contrib.auth.models import Group

from oauth_portal.server import publishing
from oauth_portal.server.models import ApiResource
from tests.e2e.conftest import needs_chromium
from tests.factories import CLIENT_SECRET, ApplicationFactory, UserFactory

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "a-long-unusual-passphrase-42"


def both_widths(page, screenshot, name):
    screenshot(name)
    page.set_viewport_size(DESKTOP)
    screenshot(f"{name}-desktop")
    page.set_viewport_size(PHONE)


def sign_in(page, server_url, username):
    page.goto(f"{server_url}/accounts/login/?next=/portal/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/portal/")


def service_token(server_url, app):
    """Client credentials with Authlib, for the Orders API."""
    oauth = OAuth2Session(
        client_id=app.client_id,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method="client_secret_basic",
        scope="orders:read",
    )
    return oauth.fetch_token(
        f"{server_url}/o/token/", grant_type="client_credentials", resource="api://orders"
    )


def test_a_publisher_registers_an_api_that_appears_once_an_admin_publishes_it(
    page, server_url, screenshot
):
    publisher = UserFactory(username="petra", password=PASSWORD)
    publisher.groups.add(Group.objects.get(name=publishing.PUBLISHERS_GROUP))
    sign_in(page, server_url, "petra")

    page.get_by_role("link", name="Your APIs").click()
    expect(page.get_by_text("Register your first API")).to_be_visible()
    both_widths(page, screenshot, "publisher-apis-empty")
    page.get_by_role("link", name="Register an API").click()
    page.get_by_label("API name").fill("Orders API")
    page.get_by_label("Identifier (audience)").fill("api://orders")
    page.get_by_label("Description").fill("Your orders at the shop.")
    page.get_by_label("Scope name").fill("orders:read")
    page.get_by_label("Consent sentence").fill("See your orders")
    both_widths(page, screenshot, "publisher-api-submit")
    page.get_by_role("button", name="Submit for approval").click()

    expect(page.get_by_role("heading", name="Orders API")).to_be_visible()
    expect(page.get_by_text("Awaiting approval.")).to_be_visible()
    page.get_by_label("Scope name").fill("orders:write")
    page.get_by_label("Consent sentence").fill("Place orders for you")
    page.get_by_role("button", name="Add scope").click()
    page.get_by_label("Method").select_option("GET")
    page.get_by_label("Path").fill("/orders/{id}/")
    page.get_by_label("Scope it requires").select_option("orders:read")
    page.get_by_label("What it does").fill("One of your orders")
    page.get_by_role("button", name="Add operation").click()
    expect(page.get_by_text("Added GET /orders/{id}/.")).to_be_visible()
    both_widths(page, screenshot, "publisher-api")

    page.goto(f"{server_url}/portal/apis/")
    expect(page.get_by_text("Orders API")).to_have_count(0)
    service = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    with pytest.raises(Exception, match="invalid_target|invalid_scope"):
        service_token(server_url, service)

    publishing.api_publish(api=ApiResource.objects.get(identifier="api://orders"), actor=None)

    assert service_token(server_url, service)["scope"] == "orders:read"

    page.goto(f"{server_url}/portal/publish/")
    expect(page.get_by_text("Published")).to_be_visible()
    both_widths(page, screenshot, "publisher-apis")
    page.goto(f"{server_url}/portal/apis/")
    expect(page.get_by_role("heading", name="Orders API")).to_be_visible()
    expect(page.get_by_text("/orders/{id}/")).to_be_visible()
    page.get_by_role("heading", name="Orders API").scroll_into_view_if_needed()
    both_widths(page, screenshot, "catalogue-with-published-api")
