"""The second step after the password: asked for when the user has a factor, enforced on every
page, satisfied by an authenticator-app code or a recovery code (once)."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from tests.mfa.mfa_helpers import (
    authenticator_app,
    current_code,
    recovery_codes,
    second_step,
    sign_in,
    wrong_code,
)

pytestmark = pytest.mark.django_db

SECOND_STEP = "/accounts/two-step/second-step/"


def test_sign_in_without_a_factor_needs_no_second_step(client, user):
    response = sign_in(client, "alice", next_url="/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/").status_code == 200


def test_password_alone_opens_nothing_but_the_second_step(client, user):
    authenticator_app(user)
    response = sign_in(client, "alice", next_url="/accounts/profile/")
    assert response.status_code == 302
    # Wherever the sign-in meant to go, the second step comes first, and keeps `next`.
    page = client.get(response["Location"], follow=True)
    assert page.request["PATH_INFO"] == SECOND_STEP
    assert "Confirm it" in page.content.decode()

    for path in ("/accounts/profile/", "/portal/", "/accounts/apps/", "/o/authorize/?x=1"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(SECOND_STEP + "?next=")


def test_right_code_finishes_sign_in_and_follows_next(client, user):
    device = authenticator_app(user)
    sign_in(client, "alice")
    response = second_step(client, current_code(device), next_url="/accounts/apps/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/apps/"
    assert client.get("/accounts/profile/").status_code == 200


def test_next_that_leaves_the_site_is_not_followed(client, user):
    device = authenticator_app(user)
    sign_in(client, "alice")
    response = second_step(client, current_code(device), next_url="https://evil.example/")
    assert response["Location"] == reverse("accounts:home")


def test_sign_out_stays_possible_during_the_second_step(client, user):
    authenticator_app(user)
    sign_in(client, "alice")
    response = client.post("/accounts/logout/")
    assert not response.get("Location", "").startswith(SECOND_STEP)
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_wrong_code_is_refused_and_recorded(client, user):
    device = authenticator_app(user)
    sign_in(client, "alice")
    response = second_step(client, wrong_code(device))
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get("/accounts/profile/").status_code == 302
    event = AuditEvent.objects.get(type=AuditEvent.Type.MFA_CODE_FAILED)
    assert event.user == user
    assert wrong_code(device) not in str(event.details)


def test_recovery_code_works_once(client, user):
    authenticator_app(user)
    code, _other = recovery_codes(user)
    sign_in(client, "alice")
    assert second_step(client, code.upper(), next_url="/accounts/apps/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200
    assert AuditEvent.objects.filter(type=AuditEvent.Type.MFA_RECOVERY_CODE_USED).count() == 1

    client.post("/accounts/logout/")
    sign_in(client, "alice")
    assert second_step(client, code).status_code == 400


def test_second_step_page_lists_what_the_user_can_use(client, user):
    authenticator_app(user)
    sign_in(client, "alice", next_url="/accounts/apps/")
    page = client.get(SECOND_STEP + "?next=" + quote("/accounts/apps/"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="code"' in body and 'value="/accounts/apps/"' in body
    assert page["X-Frame-Options"] == "DENY"


def test_factors_reset_during_the_second_step_leave_a_password_sign_in(client, user):
    device = authenticator_app(user)
    sign_in(client, "alice")
    device.delete()  # an admin reset the user's factors meanwhile
    response = client.get(SECOND_STEP + "?next=/accounts/apps/")
    assert response["Location"] == "/accounts/apps/"
    assert client.get("/accounts/profile/").status_code == 200
