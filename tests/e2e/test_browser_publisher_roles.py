"""An API publisher, in a real browser, defines a role of their API, gives it to a user by
verified address, narrows its permissions, adds a custom claim and is refused a reserved claim
name with a readable error.
Screenshots under test-artifacts/: publisher-roles, publisher-roles-claim-error (390 px wide,
as a phone), and the same at 1280 (*-desktop)."""

import pytest
from django.contrib.auth.models import Group

from oauth_portal.server import publishing
from oauth_portal.server.models import ApiResource, RoleAssignment
from tests.e2e.conftest import needs_chromium
from tests.e2e.test_browser_publisher import PASSWORD, both_widths, sign_in
from tests.factories import UserFactory

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), needs_chromium]
COLORS = "https://api.example.test/colors"


def test_a_publisher_gives_a_role_of_their_api_and_adds_a_claim(page, server_url, screenshot):
    petra = UserFactory(username="petra", password=PASSWORD)
    petra.groups.add(Group.objects.get(name=publishing.PUBLISHERS_GROUP))
    ApiResource.objects.filter(identifier=COLORS).update(owner=petra)
    UserFactory(username="alice", email="alice@example.test", email_verified=True)
    sign_in(page, server_url, "petra")

    page.get_by_role("link", name="Your APIs").click()
    page.get_by_role("link", name="Colors API").click()
    page.get_by_role("link", name="Manage roles and claims").click()
    page.get_by_label("Role name").fill("editor")
    page.get_by_label("Description").fill("Changes the palette")
    page.get_by_label("colors:read").check()
    page.get_by_label("colors:write").check()
    page.get_by_role("button", name="Add role").click()
    expect(page.get_by_text("Added the role editor.")).to_be_visible()

    page.get_by_label("Username or verified e-mail address").fill("alice@example.test")
    page.get_by_role("button", name="Give editor").click()
    expect(page.get_by_text("If an account has the username or verified address")).to_be_visible()
    expect(page.get_by_role("button", name="Remove alice from editor")).to_be_visible()

    page.get_by_label("Claim name").fill("https://colors.example.test/joined")
    page.get_by_label("User field").select_option("date_joined")
    page.get_by_role("button", name="Add claim").click()
    expect(page.get_by_text("now carry https://colors.example.test/joined")).to_be_visible()
    page.get_by_text("Change permissions").click()
    page.locator("details input[value='colors:write']").uncheck()
    both_widths(page, screenshot, "publisher-roles")
    page.get_by_role("button", name="Save permissions of editor").click()
    expect(page.get_by_text("Saved the permissions of editor.")).to_be_visible()

    page.get_by_label("Claim name").fill("sub")
    page.get_by_label("Value").select_option("groups")
    page.get_by_role("button", name="Add claim").click()
    expect(page.get_by_text("sub is a registered JWT or OpenID Connect claim")).to_be_visible()
    both_widths(page, screenshot, "publisher-roles-claim-error")
    assert RoleAssignment.objects.filter(user__username="alice", role__name="editor").exists()
    editor = RoleAssignment.objects.get(user__username="alice").role
    assert list(editor.scopes.values_list("name", flat=True)) == ["colors:read"]
