"""Machine to machine, end to end: a developer registers a service in the portal, a real OAuth
client library (Authlib) gets a client-credentials token from the live server and reads the
Colors API's shared palettes; a user's colors stay out of its reach. In a real browser, the
same developer runs the service in the playground. Screenshots under test-artifacts/:
portal-service-registration, portal-service-app-page, portal-service-playground (390 px wide,
and -desktop at 1280)."""

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.test import Client
from django.urls import reverse

from oauth_portal.server.models import Application
from tests.e2e.conftest import needs_chromium
from tests.e2e.protocol_helpers import HTTP_TIMEOUT, discovery
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def register_service_in_portal(developer) -> tuple[Application, str]:
    portal = Client()
    portal.force_login(developer)
    response = portal.post(
        reverse("portal:application-register"),
        {"name": "Nightly sync", "kind": "service", "allowed_scopes": ["colors:read"]},
    )
    assert response.status_code == 200, response.context["form"].errors
    return Application.objects.get(name="Nightly sync"), response.context["client_secret"]


def test_a_service_made_in_the_portal_reads_palettes_with_authlib(server_url):
    app, secret = register_service_in_portal(UserFactory(username="devon"))
    metadata = discovery(server_url)
    assert "client_credentials" in metadata["grant_types_supported"]

    oauth = OAuth2Session(
        app.client_id,
        secret,
        scope="colors:read",
        token_endpoint_auth_method="client_secret_basic",
    )
    token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")

    assert token["token_type"].lower() == "bearer" and token["scope"] == "colors:read"
    assert "refresh_token" not in token
    palettes = oauth.get(f"{server_url}/api/colors/palettes/", timeout=HTTP_TIMEOUT)
    assert palettes.status_code == 200
    assert {p["slug"] for p in palettes.json()} == {"sea", "sunset", "forest"}
    colors = oauth.get(f"{server_url}/api/colors/", timeout=HTTP_TIMEOUT)
    assert colors.status_code == 403
    assert 'error="insufficient_scope"' in colors.headers["WWW-Authenticate"]
    assert colors.json()["error"] == "insufficient_scope"
    written = oauth.post(
        f"{server_url}/api/colors/", json={"name": "Sky", "hex": "#3366ff"}, timeout=HTTP_TIMEOUT
    )
    assert written.status_code == 403


def test_a_wrong_secret_gets_no_token(server_url):
    app, _secret = register_service_in_portal(UserFactory(username="devon"))

    response = requests.post(
        f"{server_url}/o/token/",
        data={"grant_type": "client_credentials", "scope": "colors:read"},
        auth=(app.client_id, "not-the-secret"),
        timeout=HTTP_TIMEOUT,
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_the_playground_runs_a_service_over_http(server_url, settings):
    # The playground calls the live server over real HTTP, as it does in production.
    settings.PORTAL_INTERNAL_BASE_URL = server_url
    developer = UserFactory(username="devon")
    app, secret = register_service_in_portal(developer)
    portal = Client()
    portal.force_login(developer)

    page = portal.get(reverse("portal:playground"), {"app": app.pk})
    assert page.status_code == 200
    response = portal.post(
        reverse("portal:playground-client-credentials"),
        {"application": app.pk, "scopes": ["colors:read"], "client_secret": secret},
    )

    assert response.status_code == 200
    assert response.context["exchange"].status == 200
    assert response.context["tokens"]["access_token"]
    assert response.context["calls"]["palettes"].status == 200
    assert response.context["calls"]["colors"].status == 403


@needs_chromium
def test_a_developer_registers_a_service_and_runs_it_in_the_playground(
    page, server_url, screenshot
):
    expect = pytest.importorskip("playwright.sync_api").expect
    developer = UserFactory(username="devon")
    page.goto(f"{server_url}/accounts/login/?next=/portal/apps/new/")
    page.get_by_label("Username").fill(developer.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/portal/apps/new/")

    page.get_by_label("App name").fill("Nightly sync")
    page.get_by_label("Service (machine to machine)").check()
    expect(page.locator('input[data-scope="openid"]')).to_be_hidden()
    expect(page.locator('input[data-scope="profile"]')).to_be_hidden()
    expect(page.locator('input[data-requires="colors:read"]')).to_be_hidden()  # no consent page
    assert page.get_by_label("Redirect URIs", exact=True).is_hidden()
    page.get_by_role("checkbox", name="colors:read See your saved colors").check()
    screenshot("portal-service-registration")
    page.set_viewport_size(DESKTOP)
    screenshot("portal-service-registration-desktop")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Register app").click()
    expect(page.get_by_role("heading", name="Nightly sync is registered")).to_be_visible()
    secret = page.get_by_label("Client secret").input_value()
    app = Application.objects.get(name="Nightly sync")
    assert list(app.allowed_scopes.values_list("name", flat=True)) == ["colors:read"]

    page.goto(f"{server_url}/portal/apps/{app.pk}/")
    expect(page.get_by_role("heading", name="Get a token")).to_be_visible()
    assert page.get_by_text("authorized this app").count() == 0
    screenshot("portal-service-app-page")
    page.set_viewport_size(DESKTOP)
    screenshot("portal-service-app-page-desktop")
    page.set_viewport_size(PHONE)

    page.get_by_role("link", name="Try it in the playground").click()
    page.get_by_label("Client secret").fill(secret)
    page.get_by_role("button", name="Get a token").click()
    expect(page.get_by_text("Token received.")).to_be_visible()
    assert page.locator("#palettes-response").inner_text().startswith("HTTP/1.1 200")
    assert page.locator("#colors-response").inner_text().startswith("HTTP/1.1 403")
    assert secret not in page.content()
    screenshot("portal-service-playground")
    page.set_viewport_size(DESKTOP)
    screenshot("portal-service-playground-desktop")
