"""Admins: MFA can be required before /admin/ opens; an admin resets a user's factors (audited)
and never sees a TOTP key or a recovery code."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from oauth_portal.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.mfa.mfa_helpers import (
    authenticator_app,
    current_code,
    recovery_codes,
    second_step,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def mfa_for_staff(settings):
    settings.PORTAL_MFA_REQUIRED_FOR_STAFF = True


def test_staff_without_a_factor_are_sent_to_set_one_up(client, staff, mfa_for_staff):
    sign_in(client, "root")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-step/?next=/admin/")
    assert client.get("/admin/portal_server/application/").status_code == 302
    # Their own pages still open: they can set up a factor.
    assert client.get(response["Location"]).status_code == 200


def test_staff_with_a_factor_get_in_after_the_second_step(client, staff, mfa_for_staff):
    device = authenticator_app(staff)
    sign_in(client, "root")
    assert client.get("/admin/")["Location"].startswith("/accounts/two-step/second-step/")
    second_step(client, current_code(device), next_url="/admin/")
    assert client.get("/admin/").status_code == 200


def test_admin_sign_in_page_also_asks_for_the_second_step(client, staff, mfa_for_staff):
    device = authenticator_app(staff)
    client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "correct-horse-battery"}
    )
    assert client.get("/admin/")["Location"].startswith("/accounts/two-step/second-step/")
    second_step(client, current_code(device))
    assert client.get("/admin/").status_code == 200


def test_without_the_setting_staff_enter_with_a_password(client, staff):
    sign_in(client, "root")
    assert client.get("/admin/").status_code == 200


def test_non_staff_are_not_affected(client, user, mfa_for_staff):
    sign_in(client, "alice")
    assert client.get("/accounts/profile/").status_code == 200


def test_admin_resets_a_users_factors(client, staff, user):
    authenticator_app(user)
    recovery_codes(user)
    admin = Client()
    admin.force_login(staff)
    url = reverse("admin:accounts_user_changelist")
    response = admin.post(
        url, {"action": "reset_two_step_verification", "_selected_action": [user.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Two-step verification reset for 1 user" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.MFA_RESET)
    assert (event.actor, event.user) == (staff, user)

    # The user signs in with the password alone again.
    sign_in(client, "alice")
    assert client.get("/accounts/profile/").status_code == 200


def test_admin_shows_no_device_secrets(staff, user):
    device = authenticator_app(user)
    codes = recovery_codes(user)
    admin = Client()
    admin.force_login(staff)
    for path in ("/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"):
        assert admin.get(path).status_code == 404
    page = admin.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert device.key not in page and codes[0] not in page
