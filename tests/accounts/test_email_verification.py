"""E-mail verification: the mailed link proves the address once, and only the live link does."""

import base64
import json
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client

from accounts.tokens import EmailVerificationTokenGenerator, email_verification_token
from oauth_portal.audit.models import AuditEvent
from tests.accounts.helpers import link_for, mailed_path, only_mail, sign_up
from tests.audit.helpers import events_of, only_event
from tests.factories import ApplicationFactory
from tests.oauth_helpers import get_code, mint_access_token, redeem

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def verify_path(client):
    """A new account's verification link, as mailed at sign-up (the client stays signed in)."""
    sign_up(client)
    path = mailed_path(only_mail())
    mail.outbox.clear()
    return path


def bob() -> User:
    return User.objects.get(username="bob")


def test_mailed_link_verifies_the_address(client, verify_path):
    response = client.get(verify_path)

    assert response.status_code == 200
    assert "is verified" in response.content.decode()
    assert bob().email_verified is True
    event = only_event(AuditEvent.Type.EMAIL_VERIFIED)
    assert event.user == bob()


def test_mailed_link_works_without_being_signed_in(verify_path):
    response = Client().get(verify_path)

    assert response.status_code == 200
    assert bob().email_verified is True


def test_used_link_does_not_verify_again(client, verify_path):
    client.get(verify_path)

    response = client.get(verify_path)

    assert response.status_code == 400
    assert "does not work" in response.content.decode()
    assert len(events_of(AuditEvent.Type.EMAIL_VERIFIED)) == 1


def test_tampered_token_does_not_verify(client, verify_path):
    prefix, token = verify_path.rstrip("/").rsplit("/", 1)
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")

    response = client.get(f"{prefix}/{tampered}/")

    assert response.status_code == 400
    assert bob().email_verified is False
    assert events_of(AuditEvent.Type.EMAIL_VERIFIED) == []


def test_token_of_one_account_does_not_verify_another(client, verify_path, user):
    token = verify_path.rstrip("/").rsplit("/", 1)[1]

    response = client.get(link_for(user, token))

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_verified is False


@pytest.mark.parametrize("uidb64", ["!!", "MTIzNDU2Nzg5", "AAAA", "x" * 300])
def test_garbage_in_the_link_is_a_clear_refusal(client, verify_path, uidb64):
    token = verify_path.rstrip("/").rsplit("/", 1)[1]

    response = client.get(f"/accounts/verify-email/{uidb64}/{token}/")

    assert response.status_code == 400
    assert bob().email_verified is False


def test_expired_link_does_not_verify(client, verify_path):
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    with mock.patch.object(EmailVerificationTokenGenerator, "_now", return_value=later):
        response = client.get(verify_path)

    assert response.status_code == 400
    assert bob().email_verified is False


def test_link_dies_when_the_address_changes(signed_in, user):
    old_link = link_for(user, email_verification_token.make_token(user))
    signed_in.post(
        "/accounts/profile/", {"first_name": "", "last_name": "", "email": "new@example.test"}
    )

    response = signed_in.get(old_link)

    assert response.status_code == 400
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new@example.test", False)


def test_password_reset_token_is_not_a_verification_token(client, user):
    response = client.get(link_for(user, default_token_generator.make_token(user)))

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_verified is False


def test_verification_token_is_not_a_password_reset_token(user):
    assert not default_token_generator.check_token(user, email_verification_token.make_token(user))


def test_resend_mails_a_fresh_working_link(signed_in, user):
    response = signed_in.post("/accounts/verify-email/resend/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    message = only_mail()
    assert message.to == ["alice@example.test"]
    assert signed_in.get(mailed_path(message)).status_code == 200
    user.refresh_from_db()
    assert user.email_verified is True


def test_resend_for_a_verified_address_sends_nothing(signed_in, user):
    User.objects.filter(pk=user.pk).update(email_verified=True)

    response = signed_in.post("/accounts/verify-email/resend/")

    assert response.status_code == 302
    assert mail.outbox == []


def test_resend_is_post_only_and_needs_sign_in(client, signed_in):
    assert signed_in.get("/accounts/verify-email/resend/").status_code == 405
    signed_in.logout()
    response = client.post("/accounts/verify-email/resend/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert mail.outbox == []


def userinfo(client, token: str) -> dict:
    response = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response.json()


def test_userinfo_email_verified_claim_follows_the_flag(client, verify_path, app):
    token = mint_access_token(user=bob(), app=app, scope="openid email")
    assert userinfo(client, token)["email_verified"] is False

    client.get(verify_path)
    assert userinfo(client, token)["email_verified"] is True

    client.post("/accounts/profile/", {"first_name": "", "last_name": "", "email": "b@x.test"})
    claims = userinfo(client, token)
    assert (claims["email"], claims["email_verified"]) == ("b@x.test", False)


def id_token_claims(client, app) -> dict:
    code, verifier = get_code(client, app, scope="openid email")
    id_token = redeem(client, app, code, verifier).json()["id_token"]
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_id_token_email_verified_claim_follows_the_flag(signed_in, user):
    # A fresh app each time, so each flow shows the consent page (consent is remembered).
    assert id_token_claims(signed_in, ApplicationFactory())["email_verified"] is False

    User.objects.filter(pk=user.pk).update(email_verified=True)

    assert id_token_claims(signed_in, ApplicationFactory())["email_verified"] is True
