"""Two-step verification in a real browser (Chromium), with a real client library.

- An app asks for MFA (``acr_values``): a password-only user is stepped up, sets up an
  authenticator app from the QR page's key, saves the recovery codes, consents; Authlib redeems
  the code and joserfc finds ``amr``/``acr`` in the verified ID token. Later the user signs in
  with a recovery code.
- Passkeys through Chromium's virtual authenticator (DevTools' WebAuthn domain): registered
  from the account page, then used as the second step and as the whole sign-in.

Pages are saved at 1280 and 390 pixels wide under test-artifacts/ (mfa-*.png).
"""

from base64 import b32decode
from urllib.parse import urlencode

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django_otp.oath import TOTP
from playwright.sync_api import expect

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.sign_in_methods import ACR_MULTI_FACTOR, ACR_PASSWORD
from tests.e2e.conftest import needs_chromium
from tests.e2e.protocol_helpers import (
    HTTP_TIMEOUT,
    discovery,
    published_jwks,
    verified_id_token_claims,
)
from tests.factories import PublicApplicationFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def shots(page, screenshot):
    """Screenshot the current page at desktop and phone widths."""

    def both(name: str):
        page.set_viewport_size({"width": 1280, "height": 900})
        screenshot(f"mfa-{name}-desktop")
        page.set_viewport_size({"width": 390, "height": 844})
        screenshot(f"mfa-{name}-phone")

    return both


def client_for(app, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=app.client_id,
        token_endpoint_auth_method="none",
        scope="openid profile",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )


def start_flow(base_url, app, **extra):
    redirect_uri = f"{base_url}/demo/callback"
    oauth = client_for(app, redirect_uri)
    verifier, nonce = generate_token(48), generate_token(20)
    url, state = oauth.create_authorization_url(
        discovery(base_url)["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
    )
    return oauth, url, {"verifier": verifier, "nonce": nonce, "state": state}


def finish_flow(base_url, app, oauth, flow, callback_url) -> dict:
    token = oauth.fetch_token(
        discovery(base_url)["token_endpoint"],
        authorization_response=callback_url,
        state=flow["state"],
        code_verifier=flow["verifier"],
    )
    return verified_id_token_claims(
        token["id_token"],
        published_jwks(base_url),
        issuer=discovery(base_url)["issuer"],
        client_id=app.client_id,
        nonce=flow["nonce"],
    )


def password_sign_in(page, username="alice"):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def setup_key(page) -> bytes:
    secret = page.get_by_label("Setup key").inner_text().replace(" ", "").strip()
    return b32decode(secret + "=" * (-len(secret) % 8))


def authenticator_code(key: bytes, *, steps_ahead: int = 0) -> str:
    """What the phone shows; a step ahead is still accepted (one step of clock drift), and
    a code already used is not, so a second sign-in within 30 s uses the next one."""
    totp = TOTP(key, 30, 0, 6, 0)
    totp.time += 30 * steps_ahead
    return f"{totp.token():06d}"


def allow(page):
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback?**")


def test_app_asking_for_mfa_steps_the_user_up_then_a_recovery_code_signs_in(
    page, server_url, shots
):
    UserFactory(username="alice")
    app = PublicApplicationFactory(name="Ledger", redirect_uris=f"{server_url}/demo/callback")
    oauth, url, flow = start_flow(server_url, app, acr_values=ACR_MULTI_FACTOR)

    page.goto(url)
    password_sign_in(page)
    page.wait_for_url("**/two-step/step-up/**")
    expect(
        page.get_by_role("heading", name="This app asks for two-step verification")
    ).to_be_visible()
    shots("step-up")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    shots("authenticator-setup")
    key = setup_key(page)
    page.get_by_label("Code", exact=True).fill(authenticator_code(key))
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = (
        page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    )
    assert len(codes) == 10
    shots("recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    allow(page)

    claims = finish_flow(server_url, app, oauth, flow, page.url)
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == ACR_MULTI_FACTOR

    # Next time: the password, then the code from the phone.
    page.context.clear_cookies()
    page.goto(f"{server_url}/accounts/login/?{urlencode({'next': '/accounts/profile/'})}")
    password_sign_in(page)
    page.wait_for_url("**/two-step/second-step/**")
    page.get_by_label("Code", exact=True).fill(authenticator_code(key, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/accounts/profile/")

    # Another day: the password, then a recovery code instead of the phone.
    page.context.clear_cookies()
    page.goto(f"{server_url}/accounts/login/?{urlencode({'next': '/accounts/apps/'})}")
    password_sign_in(page)
    page.wait_for_url("**/two-step/second-step/**")
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    shots("second-step-wrong-code")
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/accounts/apps/")
    assert AuditEvent.objects.filter(type=AuditEvent.Type.MFA_RECOVERY_CODE_USED).count() == 1
    assert AuditEvent.objects.filter(type=AuditEvent.Type.MFA_CODE_FAILED).count() == 1

    page.goto(f"{server_url}/accounts/two-step/")
    expect(page.get_by_text("9 unused")).to_be_visible()
    shots("overview-authenticator")


def virtual_authenticator(page):
    """Chromium's virtual passkey authenticator (CTAP2, built in, with user verification)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def test_passkey_registered_then_second_step_then_whole_sign_in(page, live_server, shots):
    # WebAuthn needs a domain (not an IP address) as relying party: localhost.
    base_url = live_server.url
    UserFactory(username="alice")
    app = PublicApplicationFactory(name="Ledger", redirect_uris=f"{base_url}/demo/callback")
    virtual_authenticator(page)

    page.goto(f"{base_url}/accounts/login/?next=/accounts/two-step/")
    password_sign_in(page)
    page.wait_for_url("**/accounts/two-step/")
    page.get_by_role("link", name="Add a passkey").click()
    shots("passkey-add")
    page.get_by_role("button", name="Create a passkey").click()
    page.wait_for_url("**/accounts/two-step/")
    expect(page.get_by_text("Passkey 1", exact=True)).to_be_visible()
    expect(page.get_by_text("never used")).to_be_visible()
    shots("overview-passkey")
    assert AuditEvent.objects.filter(type=AuditEvent.Type.MFA_ENROLLED).count() == 1

    # The passkey is now the second step after the password.
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/?next=/accounts/apps/")
    password_sign_in(page)
    page.wait_for_url("**/two-step/second-step/**")
    shots("second-step-passkey")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url("**/accounts/apps/")
    expect(page.get_by_role("heading", name="Connected apps")).to_be_visible()
    page.wait_for_load_state("networkidle")

    # And the whole sign-in: no password, straight into an app that asks for MFA.
    page.context.clear_cookies()
    oauth, url, flow = start_flow(base_url, app, acr_values=ACR_MULTI_FACTOR)
    page.goto(url)
    page.wait_for_url("**/accounts/login/**")
    shots("sign-in-with-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    allow(page)
    claims = finish_flow(base_url, app, oauth, flow, page.url)
    assert claims["amr"] == ["hwk", "mfa"]
    assert claims["acr"] == ACR_MULTI_FACTOR
    assert claims["acr"] != ACR_PASSWORD


def test_staff_without_mfa_cannot_open_the_admin_when_it_is_required(
    page, server_url, settings, shots
):
    settings.PORTAL_MFA_REQUIRED_FOR_STAFF = True
    UserFactory(username="root", is_staff=True, is_superuser=True)

    page.goto(f"{server_url}/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/accounts/two-step/?next=/admin/")
    expect(page.get_by_text("Set up a second step to continue.")).to_be_visible()
    shots("admin-requires-mfa")

    page.goto(f"{server_url}/admin/portal_server/application/")
    page.wait_for_url("**/accounts/two-step/?next=**")

    page.get_by_role("link", name="Set up").click()
    page.get_by_label("Code", exact=True).fill(authenticator_code(setup_key(page)))
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name="I have saved them").click()
    # Back where the admin was going, now with two factors.
    page.wait_for_url("**/admin/portal_server/application/")
    expect(page.get_by_role("link", name="Portal ID administration")).to_be_visible()
