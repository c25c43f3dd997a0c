"""An admin who has never seen the project, in a real browser: signs in at /admin/, reads the
dashboard, finds a misbehaving client, suspends it with a reason, reads what it did in the audit
log, and reactivates it. Screenshots of the dashboard and the client list are saved under
test-artifacts/ (admin-dashboard.png, admin-client-list.png)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application, Consent
from tests.e2e.conftest import needs_chromium
from tests.factories import ApplicationFactory, PublicApplicationFactory, UserFactory
from tests.oauth_helpers import mint_access_token

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

ADMIN_PASSWORD = "an-admin-passphrase-for-the-browser-9"
DESKTOP = {"width": 1280, "height": 900}


def record_days_ago(event_type: str, days: int, times: int, **fields) -> None:
    ids = [AuditEvent.objects.record(event=event_type, **fields).pk for _ in range(times)]
    moment = timezone.now() - timedelta(days=days)
    AuditEvent.objects.filter(pk__in=ids).update(created=moment)


def seed_a_month_of_activity() -> Application:
    """A few clients of each kind and status, and 30 days of events; returns the noisy one."""
    developer = UserFactory(username="devon", email="devon@example.test")
    people = [UserFactory(username=f"user{n}") for n in range(6)]
    scraper = ApplicationFactory(name="Color Scraper", user=developer, kind="web")
    notes = ApplicationFactory(name="Team Notes", kind="web")
    mobile = PublicApplicationFactory(name="Palette Mobile", kind="native")
    spa = PublicApplicationFactory(
        name="Palette Web", allowed_origins="https://palette.example.test", kind="spa"
    )
    ApplicationFactory(
        name="Nightly Export",
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        status=Application.Status.PENDING,
    )
    ApplicationFactory(
        name="Old Integration",
        status=Application.Status.SUSPENDED,
        suspension_reason="Owner left the company",
    )
    for index, person in enumerate(people):
        for app in (scraper, notes, mobile)[: 1 + index % 3]:
            Consent.objects.create(user=person, application=app, scope="openid colors:read")
            mint_access_token(user=person, app=app, scope="openid colors:read")
    for day in range(30):
        record_days_ago(AuditEvent.Type.TOKEN_ISSUED, day, 2 + day % 5, application=notes)
        record_days_ago(AuditEvent.Type.TOKEN_REFRESHED, day, 1 + day % 3, application=mobile)
        record_days_ago(AuditEvent.Type.TOKEN_ISSUED, day, day % 4, application=spa)
        record_days_ago(AuditEvent.Type.SIGN_IN_FAILED, day, (day * 7) % 5)
    record_days_ago(AuditEvent.Type.TOKEN_ISSUED, 1, 40, application=scraper)
    record_days_ago(AuditEvent.Type.TOKEN_ISSUED, 0, 55, application=scraper)
    record_days_ago(AuditEvent.Type.SIGN_IN_LOCKED_OUT, 2, 1)
    record_days_ago(AuditEvent.Type.REFRESH_REUSED, 0, 1, application=scraper, user=people[0])
    record_days_ago(AuditEvent.Type.CODE_REUSED, 4, 1, application=mobile, user=people[1])
    return scraper


def sign_in_to_admin(page, server_url):
    get_user_model().objects.create_superuser("root", "root@example.test", ADMIN_PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server_url}/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server_url}/admin/")


def run_action_on(page, client_name: str, action_label: str):
    page.get_by_role("checkbox", name=f"Select this object for an action - {client_name}").check()
    page.locator("select[name=action]").select_option(label=action_label)
    page.get_by_role("button", name="Go").click()


def test_admin_finds_suspends_investigates_and_reactivates_a_client(page, server_url, screenshot):
    scraper = seed_a_month_of_activity()
    sign_in_to_admin(page, server_url)

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Tokens issued per day")).to_be_visible()
    expect(page.get_by_role("link", name="Color Scraper").first).to_be_visible()
    screenshot("admin-dashboard")

    page.get_by_role("link", name="Applications").first.click()
    page.wait_for_url("**/admin/portal_server/application/")
    expect(page.get_by_role("link", name="Old Integration")).to_be_visible()
    screenshot("admin-client-list")

    page.locator("#searchbar").fill("devon")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/admin/portal_server/application/?q=devon")
    assert page.get_by_role("link", name="Team Notes").count() == 0
    run_action_on(page, "Color Scraper", "Suspend selected clients…")
    page.get_by_label("Reason").fill("Scraping every user's colors")
    screenshot("admin-suspend-reason")
    page.get_by_role("button", name="Suspend").click()
    page.get_by_text("Suspended 1 client.").wait_for()
    scraper.refresh_from_db()
    assert scraper.status == Application.Status.SUSPENDED

    page.get_by_role("link", name="Color Scraper").click()
    page.get_by_text("Suspended: Scraping every user's colors").wait_for()
    screenshot("admin-client-change")
    page.get_by_role("link", name="What this client did").click()
    page.wait_for_url("**/admin/portal_audit/auditevent/?application__id__exact=*")
    expect(page.get_by_role("link", name="Client suspended")).to_be_visible()
    expect(page.get_by_text("Refresh token reuse detected").first).to_be_visible()

    page.goto(f"{server_url}/admin/portal_server/application/?status__exact=suspended")
    run_action_on(page, "Color Scraper", "Reactivate selected clients (suspended)")
    page.get_by_text("Reactivated 1 client.").wait_for()
    scraper.refresh_from_db()
    assert scraper.status == Application.Status.ACTIVE
