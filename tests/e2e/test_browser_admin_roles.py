"""An admin, in a real browser, gives the Colors API an "editor" role, assigns it to a user found
by searching, and adds a custom claim; the user's next token for the API carries them.
Screenshots at desktop and phone widths are saved under test-artifacts/ (admin-role-*.png,
admin-role-assignment-*.png, admin-custom-claim-*.png)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from oauth_portal.server.models import CustomClaim, Role, RoleAssignment
from tests.e2e.conftest import needs_chromium
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]

ADMIN_PASSWORD = "an-admin-passphrase-for-the-browser-9"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in_to_admin(page, server_url):
    get_user_model().objects.create_superuser("root", "root@example.test", ADMIN_PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server_url}/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server_url}/admin/")


def both_widths(page, screenshot, name: str):
    page.set_viewport_size(DESKTOP)
    screenshot(f"{name}-1280")
    page.set_viewport_size(PHONE)
    screenshot(f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_an_admin_defines_a_role_assigns_it_and_adds_a_claim(page, server_url, screenshot):
    UserFactory(username="carol", email="carol@example.test")
    sign_in_to_admin(page, server_url)

    page.goto(f"{server_url}/admin/portal_server/role/add/")
    page.get_by_label("API").select_option(label="Colors API")
    page.get_by_label("Name").fill("editor")
    page.get_by_label("Description").fill("Saves and edits colors")
    page.locator("#id_scopes_from").select_option(["colors:read", "colors:write"])
    page.locator("#id_scopes_add").click()
    both_widths(page, screenshot, "admin-role-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("colors:read colors:write")).to_be_visible()
    both_widths(page, screenshot, "admin-role-list")

    page.goto(f"{server_url}/admin/portal_server/roleassignment/add/")
    page.get_by_label("Role").select_option(label="editor (Colors API)")
    page.locator(".select2-selection").last.click()
    page.locator(".select2-search__field").fill("car")
    page.get_by_role("option", name="carol").click()
    both_widths(page, screenshot, "admin-role-assignment-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text("carol")
    both_widths(page, screenshot, "admin-role-assignment-list")

    page.goto(f"{server_url}/admin/portal_server/customclaim/add/")
    page.get_by_label("Claim name").fill("department")
    page.get_by_label("User field").select_option("email")
    page.get_by_label("In ID tokens").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("https://example.com/roles")
    both_widths(page, screenshot, "admin-custom-claim-refused")
    page.get_by_label("Claim name").fill("https://example.com/email")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text("https://example.com/email")
    both_widths(page, screenshot, "admin-custom-claim-list")

    role = Role.objects.get(name="editor")
    assert RoleAssignment.objects.filter(role=role, user__username="carol").exists()
    assert CustomClaim.objects.filter(key="https://example.com/email", in_id_token=True).exists()
