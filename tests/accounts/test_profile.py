"""Profile: names and e-mail address, which apps receive as OpenID claims."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from oauth_portal.audit.models import AuditEvent
from tests.accounts.helpers import mailed_path, only_mail
from tests.audit.helpers import events_of, only_event
from tests.factories import UserFactory
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db

User = get_user_model()


def profile_data(**overrides) -> dict:
    return {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "alice@example.test",
        **overrides,
    }


@pytest.fixture
def verified(user):
    User.objects.filter(pk=user.pk).update(email_verified=True)
    user.refresh_from_db()
    return user


def test_profile_needs_sign_in(client):
    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_profile_shows_current_details_and_that_the_address_is_unverified(signed_in):
    response = signed_in.get("/accounts/profile/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="alice@example.test"' in html
    assert 'value="Ada"' in html
    assert "Not verified" in html
    assert 'action="/accounts/verify-email/resend/"' in html
    assert 'aria-current="page">Profile</a>' in html


def test_profile_shows_a_verified_address_without_a_resend_button(signed_in, verified):
    html = signed_in.get("/accounts/profile/").content.decode()

    assert ">Verified<" in html
    assert "/accounts/verify-email/resend/" not in html


def test_changing_names_saves_them_and_records_only_the_field_names(signed_in, verified):
    response = signed_in.post("/accounts/profile/", profile_data(first_name="Augusta"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    verified.refresh_from_db()
    assert (verified.first_name, verified.email_verified) == ("Augusta", True)
    event = only_event(AuditEvent.Type.PROFILE_CHANGED)
    assert (event.user, event.actor) == (verified, verified)
    assert event.details == {"changed": ["first_name"]}
    assert mail.outbox == []


def test_changing_the_address_unverifies_it_and_mails_the_new_one(signed_in, verified):
    response = signed_in.post("/accounts/profile/", profile_data(email="ada@new.example"))

    assert response.status_code == 302
    verified.refresh_from_db()
    assert (verified.email, verified.email_verified) == ("ada@new.example", False)
    message = only_mail()
    assert message.to == ["ada@new.example"]
    assert only_event(AuditEvent.Type.PROFILE_CHANGED).details == {"changed": ["email"]}

    assert signed_in.get(mailed_path(message)).status_code == 200
    verified.refresh_from_db()
    assert verified.email_verified is True


def test_changing_only_the_letter_case_keeps_a_verified_address_verified(signed_in, verified):
    signed_in.post("/accounts/profile/", profile_data(email="Alice@example.test"))

    verified.refresh_from_db()
    assert (verified.email, verified.email_verified) == ("Alice@example.test", True)
    assert mail.outbox == []


def test_saving_an_unchanged_profile_records_nothing(signed_in):
    response = signed_in.post("/accounts/profile/", profile_data())

    assert response.status_code == 302
    assert events_of(AuditEvent.Type.PROFILE_CHANGED) == []
    assert mail.outbox == []


@pytest.mark.parametrize("taken", ["carol@example.test", "CAROL@Example.Test"])
def test_profile_takes_the_address_of_another_account_unverified_without_saying_so(
    signed_in, user, taken
):
    # Refusing would tell anyone with an account who else has one (see
    # test_signup_address_enumeration.py); the address stays unverifiable for this account.
    UserFactory(username="carol", email="carol@example.test")

    response = signed_in.post("/accounts/profile/", profile_data(email=taken))

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.email.lower(), user.email_verified) == ("carol@example.test", False)


@pytest.mark.parametrize(("email", "code"), [("", "required"), ("nope", "invalid")])
def test_profile_refuses_a_missing_or_malformed_address(signed_in, user, email, code):
    response = signed_in.post("/accounts/profile/", profile_data(email=email, first_name="Zed"))

    assert response.status_code == 200
    assert response.context["form"].has_error("email", code)
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("alice@example.test", "Ada")


def test_profile_changes_reach_the_userinfo_claims(signed_in, user, app):
    token = mint_access_token(user=user, app=app, scope="openid profile email")

    signed_in.post(
        "/accounts/profile/", profile_data(first_name="Grace", last_name="Hopper", email="g@h.test")
    )

    claims = signed_in.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert claims["given_name"] == "Grace"
    assert claims["family_name"] == "Hopper"
    assert claims["name"] == "Grace Hopper"
    assert (claims["email"], claims["email_verified"]) == ("g@h.test", False)
