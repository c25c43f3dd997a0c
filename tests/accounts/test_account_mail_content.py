"""Account e-mails carry no free text a stranger chose: an account's names (and an unverified
account's username) could be anyone's, and its address someone else's inbox."""

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.helpers import sign_up

pytestmark = pytest.mark.django_db

PHISH = "Click https://evil.example"


def everything_mailed() -> str:
    parts = []
    for message in mail.outbox:
        parts += [message.subject, message.body]
        parts += [content for content, _mime in message.alternatives]
    return "\n".join(parts)


def test_names_an_attacker_chose_never_reach_the_inbox_of_the_address_they_typed(user):
    attacker = Client()
    sign_up(attacker, username="evil.example", email="victim@example.test")
    attacker.post(
        "/accounts/profile/",
        {"first_name": PHISH, "last_name": PHISH, "email": "victim@example.test"},
    )
    attacker.post("/accounts/verify-email/resend/")
    attacker.post(
        "/accounts/profile/",
        {"first_name": PHISH, "last_name": PHISH, "email": "victim2@example.test"},
    )
    Client().post("/accounts/password-reset/", {"email": "victim2@example.test"})
    # A taken address: its owner gets a notice.
    taker = Client()
    sign_up(taker, username="taker", email="alice@example.test")
    taker.post("/accounts/profile/", {"first_name": PHISH, "last_name": "", "email": "x@x.test"})
    taker.post(
        "/accounts/profile/", {"first_name": PHISH, "last_name": "", "email": "alice@example.test"}
    )

    assert len(mail.outbox) >= 5
    text = everything_mailed()
    assert "evil.example" not in text
    assert "Click" not in text


def test_a_verified_account_is_reminded_of_its_username_in_the_reset_mail(user):
    user.email_verified = True
    user.first_name = PHISH
    user.save()

    Client().post("/accounts/password-reset/", {"email": "alice@example.test"})

    assert "alice" in mail.outbox[0].body
    assert "evil.example" not in everything_mailed()
