"""An end user, in a real browser: signs up, lets an app have part of what it asks (one
optional scope unticked), finds the app on the connected-apps page and takes its access back.
Screenshots of the consent and connected-apps pages are saved under test-artifacts/."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Consent, Scope
from tests.e2e.conftest import needs_chromium
from tests.factories import PublicApplicationFactory
from tests.oauth_helpers import pkce_pair

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]


def authorize_url(server_url, app) -> str:
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": f"{server_url}/demo/callback",
        "scope": "openid profile colors:read colors:write",
        "state": "e2e",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{server_url}/o/authorize/?{urlencode(params)}"


def sign_up(page, server_url, next_url):
    page.goto(f"{server_url}/accounts/login/?{urlencode({'next': next_url[len(server_url) :]})}")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("E-mail address").fill("newcomer@example.test")
    page.get_by_label("Password", exact=True).fill("a-long-unusual-passphrase-42")
    page.get_by_label("Password confirmation").fill("a-long-unusual-passphrase-42")
    page.get_by_role("button", name="Create account").click()


def test_new_user_grants_part_takes_it_back(page, server_url, screenshot):
    app = PublicApplicationFactory(
        name="Palette Pal", redirect_uris="http://127.0.0.1:8765/demo/callback"
    )
    app.required_scopes.add(Scope.objects.get(name="colors:read"))
    url = authorize_url(server_url, app)

    sign_up(page, server_url, url)
    page.wait_for_url("**/o/authorize/**")
    expect(
        page.get_by_role("heading", name="Palette Pal wants to access your account")
    ).to_be_visible()
    page.get_by_role("checkbox", name="Save new colors to your list").uncheck()
    screenshot("end-user-consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback?**")
    assert "code" in parse_qs(urlsplit(page.url).query)

    consent = Consent.objects.get(user__username="newcomer", application=app)
    assert consent.scopes == {"openid", "profile", "colors:read"}

    page.goto(f"{server_url}/accounts/apps/")
    expect(page.get_by_role("heading", name="Palette Pal")).to_be_visible()
    expect(page.get_by_text("See your saved colors")).to_be_visible()
    assert page.get_by_text("Save new colors to your list").count() == 0
    screenshot("end-user-connected-apps")

    page.get_by_role("link", name="Remove access for Palette Pal").click()
    expect(page.get_by_role("heading", name="Remove access for Palette Pal?")).to_be_visible()
    assert Consent.objects.filter(application=app).exists()  # asked first
    page.get_by_role("button", name="Remove access").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Palette Pal can no longer use your account.")).to_be_visible()
    assert not Consent.objects.filter(application=app).exists()
    screenshot("end-user-connected-apps-after-removal")
    kinds = set(AuditEvent.objects.filter(application=app).values_list("type", flat=True))
    assert {AuditEvent.Type.CONSENT_GRANTED, AuditEvent.Type.CONSENT_REVOKED} <= kinds
