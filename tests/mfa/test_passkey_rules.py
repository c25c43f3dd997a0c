"""The rules around django-otp-webauthn's ceremonies that a browser test cannot reach cheaply:
registering needs a fresh, finished sign-in; odd codes get a clean refusal."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from tests.mfa.mfa_helpers import authenticator_app, second_step, sign_in

pytestmark = pytest.mark.django_db

REGISTER_BEGIN = "/accounts/two-step/passkeys/register/begin/"


def begin(client):
    return client.post(REGISTER_BEGIN, content_type="application/json")


def test_registering_a_passkey_right_after_sign_in_starts_the_ceremony(client, user):
    sign_in(client, "alice")
    response = begin(client)
    assert response.status_code == 200
    assert response.json()["rp"]["id"] == "testserver"


def test_registering_a_passkey_needs_a_fresh_sign_in(client, user):
    sign_in(client, "alice")
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        response = begin(client)
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"


def test_registering_a_passkey_is_closed_during_the_second_step(client, user):
    authenticator_app(user)
    sign_in(client, "alice")
    response = begin(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-step/second-step/")


def test_passkey_sign_in_endpoints_stay_open_during_the_second_step(client, user):
    authenticator_app(user)
    sign_in(client, "alice")
    response = client.post(
        "/accounts/two-step/passkeys/auth/begin/", content_type="application/json"
    )
    assert response.status_code == 200
    assert "challenge" in response.json()


@pytest.mark.parametrize("code", ["12\x0034", "a" * 5000, "ｑｑｑｑ", "1' OR '1'='1"])
def test_hostile_codes_are_refused_cleanly(client, user, code):
    authenticator_app(user)
    sign_in(client, "alice")
    assert second_step(client, code).status_code == 400
