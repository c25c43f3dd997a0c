"""A user sets up an authenticator app (QR code and key, confirmed with a code), gets ten
recovery codes shown once, and changes factors only after a fresh sign-in."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.sign_in_methods import session_methods
from tests.mfa.mfa_helpers import PASSWORD, authenticator_app, current_code, sign_in, wrong_code

pytestmark = pytest.mark.django_db

ADD = "/accounts/two-step/authenticator/"
REMOVE = "/accounts/two-step/authenticator/remove/"
REAUTH = "/accounts/two-step/reauthenticate/"


def test_enrolling_shows_qr_and_key_then_ten_recovery_codes_once(client, user):
    sign_in(client, "alice")
    page = client.get(ADD)
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and "Setup key" in body
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False

    response = client.post(ADD, {"code": wrong_code(device)})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    response = client.post(ADD, {"code": current_code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert StaticDevice.objects.get(user=user).token_set.count() == 10
    # The codes are on this page only: the overview shows how many are left, never which.
    overview = client.get("/accounts/two-step/").content.decode()
    assert "10 unused" in overview and codes[0] not in overview
    events = AuditEvent.objects.filter(user=user).values_list("type", flat=True)
    assert AuditEvent.Type.MFA_ENROLLED in events
    assert AuditEvent.Type.MFA_RECOVERY_CODES_GENERATED in events
    assert not any(code in str(AuditEvent.objects.values_list("details")) for code in codes)


def test_confirming_the_app_makes_this_sign_in_multi_factor(client, user):
    sign_in(client, "alice")
    client.get(ADD)
    device = TOTPDevice.objects.get(user=user)
    client.post(ADD, {"code": current_code(device)})
    request = type("R", (), {"session": client.session})()
    assert session_methods(request) == ["pwd", "otp", "mfa"]


def test_removing_a_factor_needs_a_fresh_sign_in(client, user):
    authenticator_app(user)
    device = TOTPDevice.objects.get(user=user)
    sign_in(client, "alice")
    client.post("/accounts/two-step/second-step/", {"code": current_code(device)})

    with freeze_time(timezone.now() + timedelta(minutes=11)):
        response = client.post(REMOVE)
        assert response.status_code == 302
        assert response["Location"].startswith(REAUTH)
        assert TOTPDevice.objects.filter(user=user).exists()

        assert client.post(REAUTH, {"password": "not-it"}).status_code == 400
        response = client.post(REAUTH, {"password": PASSWORD, "next": "/accounts/two-step/"})
        assert response["Location"] == "/accounts/two-step/"

        assert client.post(REMOVE).status_code == 302
        assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.MFA_REMOVED, user=user).exists()


def test_removing_right_after_sign_in_needs_no_password_again(client, user):
    device = authenticator_app(user)
    sign_in(client, "alice")
    client.post("/accounts/two-step/second-step/", {"code": current_code(device)})
    assert client.post(REMOVE)["Location"] == "/accounts/two-step/"
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_adding_a_factor_after_a_while_needs_the_password_again(client, user):
    sign_in(client, "alice")
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        response = client.get(ADD)
        assert response["Location"].startswith(REAUTH)
        assert not TOTPDevice.objects.filter(user=user).exists()


def test_new_recovery_codes_replace_the_old_ones(client, user):
    authenticator_app(user)
    device = TOTPDevice.objects.get(user=user)
    sign_in(client, "alice")
    client.post("/accounts/two-step/second-step/", {"code": current_code(device)})
    first = re.findall(
        r"<li>([a-z0-9]{8})</li>",
        client.post("/accounts/two-step/recovery-codes/").content.decode(),
    )
    second = re.findall(
        r"<li>([a-z0-9]{8})</li>",
        client.post("/accounts/two-step/recovery-codes/").content.decode(),
    )
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    assert StaticDevice.objects.get(user=user).token_set.count() == 10


def test_no_recovery_codes_without_a_factor(client, user):
    sign_in(client, "alice")
    response = client.post("/accounts/two-step/recovery-codes/")
    assert response.status_code == 302
    assert not StaticDevice.objects.filter(user=user).exists()


def test_recovery_codes_are_not_stored_as_typed_and_survive_a_secret_key_rotation(
    client, user, settings
):
    from oauth_portal.mfa import factors

    authenticator_app(user)
    codes = factors.recovery_codes_generate(user=user)
    stored = set(StaticDevice.objects.get(user=user).token_set.values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes)

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 50
    assert isinstance(factors.code_verify(user=user, code=codes[0]), StaticDevice)
    assert factors.code_verify(user=user, code=codes[0]) is None  # used up
