"""Sign-up, and a change of address, do not say whether an address already has an account.

A taken address and a fresh one get the same answer; the owner of a taken (verified) address
gets a notice instead of a link, so nobody else can verify it. Usernames are public handles:
a taken one may still be said.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from accounts.tokens import email_verification_token
from tests.accounts.helpers import NEW_PASSWORD, link_for, mailed_paths, sign_up

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def owner(user):
    """alice, whose address alice@example.test is verified."""
    User.objects.filter(pk=user.pk).update(email_verified=True)
    user.refresh_from_db()
    return user


def answer(response, address: str) -> dict:
    """What the person signing up sees, with the address they typed taken out."""
    page = response.client.get(response["Location"]) if response.status_code == 302 else response
    shown = [
        re.sub(re.escape(address), "<address>", m.message, flags=re.IGNORECASE)
        for m in page.context["messages"]
    ]
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "templates": [t.name for t in page.templates][:1],
        "messages": shown,
    }


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if [a.lower() for a in m.to] == [address.lower()]]


@pytest.mark.parametrize("taken", ["alice@example.test", "ALICE@Example.test"])
def test_a_taken_and_a_fresh_address_get_the_same_sign_up_answer(owner, taken):
    fresh = sign_up(Client(), username="bob", email="bob@example.test")
    taken_response = sign_up(Client(), username="carol", email=taken)

    fresh_answer = answer(fresh, "bob@example.test")
    assert fresh_answer == answer(taken_response, taken)
    assert fresh_answer["messages"] == ["Welcome! We sent a link to <address> to verify it."]
    carol = User.objects.get(username="carol")
    assert carol.email_verified is False
    assert User.objects.get(pk=owner.pk).email_verified is True


def test_the_owner_of_a_taken_address_gets_a_notice_not_a_link(owner):
    sign_up(Client(), username="carol", email="alice@example.test")

    [notice] = mails_to("alice@example.test")
    assert not any("/verify-email/" in path for path in mailed_paths(notice))
    assert "/accounts/password-reset/" in mailed_paths(notice)
    assert "already" in notice.body
    assert "carol" not in notice.body + notice.subject


def test_a_fresh_address_gets_its_verification_link(owner):
    sign_up(Client(), username="bob", email="bob@example.test")

    [message] = mails_to("bob@example.test")
    assert any(path.startswith("/accounts/verify-email/") for path in mailed_paths(message))


def test_an_address_someone_else_verified_cannot_be_verified_again(owner):
    sign_up(Client(), username="carol", email="alice@example.test")
    carol = User.objects.get(username="carol")

    # Even a genuine token for carol's account (never mailed to her) verifies nothing.
    response = Client().get(link_for(carol, email_verification_token.make_token(carol)))

    assert response.status_code == 400
    carol.refresh_from_db()
    assert carol.email_verified is False


def test_an_unverified_address_squatted_first_stays_with_whoever_proves_it(db):
    sign_up(Client(), username="squatter", email="dana@example.test")
    sign_up(Client(), username="dana", email="dana@example.test")
    squatter_link, dana_link = (mailed_paths(m)[0] for m in mails_to("dana@example.test"))

    assert Client().get(dana_link).status_code == 200
    assert Client().get(squatter_link).status_code == 400
    assert User.objects.get(username="dana").email_verified is True
    assert User.objects.get(username="squatter").email_verified is False


def test_a_taken_username_is_still_said(owner):
    response = sign_up(Client(), username="alice", email="new@example.test")

    assert response.status_code == 200
    assert response.context["form"].has_error("username", "unique")
    assert mail.outbox == []


def test_resend_for_an_address_verified_elsewhere_looks_the_same_and_sends_no_link(owner):
    client = Client()
    sign_up(client, username="carol", email="alice@example.test", next_url="/accounts/")
    client.get("/accounts/")  # the sign-up's own message
    mail.outbox.clear()

    response = client.post("/accounts/verify-email/resend/")

    messages = [m.message for m in get_messages(response.wsgi_request)]
    assert messages == ["We sent a new verification link to alice@example.test."]
    assert all("/verify-email/" not in path for m in mail.outbox for path in mailed_paths(m))


def test_changing_to_a_taken_address_answers_as_for_a_fresh_one(owner):
    client = Client()
    sign_up(client, username="carol", email="carol@example.test")
    client.get("/accounts/")  # the sign-up's own message
    mail.outbox.clear()
    data = {"first_name": "", "last_name": ""}

    fresh = client.post("/accounts/profile/", {**data, "email": "carol2@example.test"}, follow=True)
    taken = client.post("/accounts/profile/", {**data, "email": "alice@example.test"}, follow=True)

    shown = [
        [m.message.replace(address, "<address>") for m in response.context["messages"]]
        for response, address in ((fresh, "carol2@example.test"), (taken, "alice@example.test"))
    ]
    assert fresh.status_code == taken.status_code == 200
    assert shown[0] == shown[1] == ["Saved. We sent a link to <address> to verify it."]
    [notice] = mails_to("alice@example.test")
    assert not any("/verify-email/" in path for path in mailed_paths(notice))


def test_reset_for_a_shared_address_goes_to_the_verified_account_only(owner):
    sign_up(Client(), username="carol", email="alice@example.test", password1=NEW_PASSWORD)
    mail.outbox.clear()

    Client().post("/accounts/password-reset/", {"email": "alice@example.test"})

    [message] = mail.outbox
    assert "alice" in message.body
    assert "carol" not in message.body
