"""Sandbox and production: a sandbox app serves only its developer and the test users listed;
an admin's approval opens it to everyone. Apps made outside the portal start in production."""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    get_code,
    pkce_pair,
    redeem,
    token_request,
)
from tests.portal.helpers import HttpsClient
from tests.server.admin_helpers import run_action, signed_in_client

pytestmark = pytest.mark.django_db

SANDBOX = Application.Environment.SANDBOX
PRODUCTION = Application.Environment.PRODUCTION


@pytest.fixture
def developer(db):
    return UserFactory(username="devon", email="devon@example.test")


@pytest.fixture
def sandbox_app(developer):
    return ApplicationFactory(user=developer, environment=SANDBOX)


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", email="stranger@example.test")


def browser_of(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def open_authorize(browser, app):
    _verifier, challenge = pkce_pair()
    return browser.get(authorize_url(authorize_params(app, challenge=challenge, scope="openid")))


def portal_of(user) -> HttpsClient:
    portal = HttpsClient()
    portal.force_login(user)
    return portal


def add_tester(developer, app, identifier: str):
    return portal_of(developer).post(
        reverse("portal:sandbox-tester-add", args=[app.pk]), {"identifier": identifier}
    )


def test_sandbox_app_refuses_a_stranger_with_a_readable_page(sandbox_app, stranger):
    response = open_authorize(browser_of(stranger), sandbox_app)

    assert response.status_code == 403
    assert "Location" not in response
    page = response.content.decode()
    assert "still being tested" in page
    assert "Ask the app's developer to add you as a test user" in page
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.CODE_ISSUED).exists()


def test_sandbox_app_works_for_its_developer(sandbox_app, developer):
    browser = browser_of(developer)
    code, verifier = get_code(browser, sandbox_app, scope="openid")

    assert redeem(browser, sandbox_app, code, verifier).status_code == 200


def test_listed_test_user_can_sign_in(sandbox_app, developer, stranger):
    assert add_tester(developer, sandbox_app, "stranger").status_code == 302
    browser = browser_of(stranger)

    code, verifier = get_code(browser, sandbox_app, scope="openid")

    assert redeem(browser, sandbox_app, code, verifier).status_code == 200
    event = AuditEvent.objects.get(type=AuditEvent.Type.SANDBOX_TESTER_ADDED)
    assert (event.actor, event.application, event.details["tester"]) == (
        developer,
        sandbox_app,
        "stranger",
    )


def test_a_test_user_listed_by_email_needs_a_verified_address(sandbox_app, developer, stranger):
    add_tester(developer, sandbox_app, "Stranger@Example.test")

    assert open_authorize(browser_of(stranger), sandbox_app).status_code == 403
    stranger.email_verified = True
    stranger.save()
    assert open_authorize(browser_of(stranger), sandbox_app).status_code == 200


def test_client_credentials_work_in_the_sandbox(developer):
    service = ApplicationFactory(
        user=developer,
        environment=SANDBOX,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )

    response = token_request(
        Client(), service, {"grant_type": "client_credentials", "scope": "colors:read"}
    )

    assert response.status_code == 200, response.content


def test_removed_test_user_loses_tokens_and_cannot_refresh(sandbox_app, developer, stranger):
    add_tester(developer, sandbox_app, "stranger")
    browser = browser_of(stranger)
    code, verifier = get_code(browser, sandbox_app, scope="openid colors:read")
    tokens = redeem(browser, sandbox_app, code, verifier).json()
    tester = sandbox_app.sandbox_testers.get()

    portal_of(developer).post(
        reverse("portal:sandbox-tester-remove", args=[sandbox_app.pk, tester.pk])
    )

    api = Client().get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.status_code == 401
    refresh = token_request(
        Client(),
        sandbox_app,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert open_authorize(browser, sandbox_app).status_code == 403


def test_a_code_for_a_user_outside_the_sandbox_is_invalid_grant(developer, stranger):
    """An app moved back to the sandbox (an admin's edit) refuses codes issued before."""
    app = ApplicationFactory(user=developer)
    browser = browser_of(stranger)
    code, verifier = get_code(browser, app, scope="openid")
    Application.objects.filter(pk=app.pk).update(environment=SANDBOX)

    response = redeem(browser, app, code, verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_admin_approval_moves_the_app_to_production(sandbox_app, developer, stranger):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    portal_of(developer).post(reverse("portal:production-request", args=[sandbox_app.pk]))
    sandbox_app.refresh_from_db()
    assert sandbox_app.environment == SANDBOX
    assert sandbox_app.production_requested_at is not None

    run_action(signed_in_client(admin), "approve_production", sandbox_app)

    sandbox_app.refresh_from_db()
    assert (sandbox_app.environment, sandbox_app.production_requested_at) == (PRODUCTION, None)
    assert open_authorize(browser_of(stranger), sandbox_app).status_code == 200
    approved = AuditEvent.objects.get(type=AuditEvent.Type.PRODUCTION_APPROVED)
    assert (approved.actor, approved.application) == (admin, sandbox_app)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.PRODUCTION_REQUESTED).count() == 1
    page = portal_of(developer).get(reverse("portal:application-detail", args=[sandbox_app.pk]))
    html = page.content.decode()
    assert "is in <strong>production</strong>" in html
    assert "Moved to production" in html  # the developer's recent events


def test_staff_without_the_change_permission_cannot_approve_production(sandbox_app):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))

    run_action(signed_in_client(viewer), "approve_production", sandbox_app)

    sandbox_app.refresh_from_db()
    assert sandbox_app.environment == SANDBOX


def test_portal_apps_start_in_the_sandbox_and_other_apps_in_production(developer, settings):
    portal = portal_of(developer)
    data = {
        "name": "Palette",
        "kind": "web",
        "redirect_uris": "https://palette.example.test/callback",
        "allowed_scopes": ["openid"],
    }
    response = portal.post(reverse("portal:application-register"), data)
    assert response.status_code == 200, response.content[:500]
    assert Application.objects.get(name="Palette").environment == SANDBOX

    call_command(
        "createapplication",
        "confidential",
        "authorization-code",
        "--name",
        "Made by hand",
        "--redirect-uris",
        "https://hand.example.test/cb",
        "--algorithm",
        "RS256",
    )
    assert Application.objects.get(name="Made by hand").environment == PRODUCTION


def test_without_approval_requesting_production_goes_live_at_once(sandbox_app, developer, settings):
    settings.PORTAL_PRODUCTION_REQUIRES_APPROVAL = False

    portal_of(developer).post(reverse("portal:production-request", args=[sandbox_app.pk]))

    sandbox_app.refresh_from_db()
    assert sandbox_app.environment == PRODUCTION


def test_another_developer_cannot_list_testers_on_my_app(sandbox_app, stranger):
    response = add_tester(stranger, sandbox_app, "stranger")

    assert response.status_code == 404
    assert not sandbox_app.sandbox_testers.exists()


def test_a_malformed_tester_is_refused_with_the_fix(sandbox_app, developer):
    portal = portal_of(developer)
    response = portal.post(
        reverse("portal:sandbox-tester-add", args=[sandbox_app.pk]), {"identifier": "not a name!"}
    )

    assert response.status_code == 302
    page = portal.get(response["Location"])
    assert "neither a username" in page.content.decode()
    assert not sandbox_app.sandbox_testers.exists()


def test_the_app_page_shows_the_environment_and_what_it_takes_to_go_live(sandbox_app, developer):
    page = portal_of(developer).get(reverse("portal:application-detail", args=[sandbox_app.pk]))

    html = page.content.decode()
    assert 'class="badge badge-sandbox"' in html
    assert "Request production" in html
    assert "only you and the test users below can sign in" in html


def test_a_signed_out_visitor_is_asked_to_sign_in_first(sandbox_app):
    """A test user who is not signed in yet must reach the sign-in page, not the refusal."""
    response = open_authorize(Client(), sandbox_app)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("identifier", ["a" * 100_000, "bob\x00", "", "  "])
def test_hostile_tester_values_are_refused_and_change_nothing(sandbox_app, developer, identifier):
    portal = portal_of(developer)

    response = portal.post(
        reverse("portal:sandbox-tester-add", args=[sandbox_app.pk]), {"identifier": identifier}
    )

    assert response.status_code == 302
    assert not sandbox_app.sandbox_testers.exists()
    assert "badge-sandbox" in portal.get(response["Location"]).content.decode()
