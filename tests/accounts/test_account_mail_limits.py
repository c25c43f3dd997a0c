"""Account e-mails are rate limited per client address and per target (address or account):
nobody can flood an inbox through sign-up, verification resends, address changes or password
resets. Over a limit the answer is a readable page or message, and no mail goes out."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from tests.accounts.helpers import sign_up

pytestmark = pytest.mark.django_db

User = get_user_model()
PER_ADDRESS = 3


@pytest.fixture(autouse=True)
def limits(settings):
    settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ADDRESS = f"{PER_ADDRESS}/h"
    settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_IP = "100/h"
    settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ACCOUNT = "100/h"


def from_address(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def reset(client, email: str):
    return client.post("/accounts/password-reset/", {"email": email})


@pytest.mark.parametrize("address", ["alice@example.test", "nobody@example.test"])
def test_resets_to_one_address_stop_at_the_limit_known_or_not(user, address):
    answers = [reset(from_address(f"198.51.100.{n}"), address) for n in range(PER_ADDRESS + 1)]

    assert [a.status_code for a in answers[:PER_ADDRESS]] == [302] * PER_ADDRESS
    refused = answers[-1]
    assert refused.status_code == 429
    assert "try again in" in refused.content.decode()
    assert "latest" in refused.content.decode()
    sent = PER_ADDRESS if address == "alice@example.test" else 0
    assert len(mail.outbox) == sent


def test_reset_limit_counts_the_address_in_any_letter_case(user):
    for n in range(PER_ADDRESS):
        reset(Client(), "alice@example.test" if n % 2 else "ALICE@Example.TEST")

    assert reset(Client(), "Alice@example.test").status_code == 429
    assert len(mail.outbox) == PER_ADDRESS


def test_resends_stop_at_the_limit(signed_in):
    answers = [signed_in.post("/accounts/verify-email/resend/") for _ in range(PER_ADDRESS + 1)]

    assert len(mail.outbox) == PER_ADDRESS
    last = [m.message for m in get_messages(answers[-1].wsgi_request)]
    assert answers[-1].status_code == 302
    assert "try again in" in last[-1]


def test_sign_ups_with_one_address_stop_mailing_at_the_limit(db):
    answers = [
        sign_up(from_address(f"203.0.113.{n}"), username=f"user{n}", email="eve@example.test")
        for n in range(PER_ADDRESS + 1)
    ]

    assert len(mail.outbox) == PER_ADDRESS
    # The account is still made (nobody is kept from signing up); only the mail is held back.
    assert answers[-1].status_code == 302
    assert User.objects.filter(email="eve@example.test").count() == PER_ADDRESS + 1
    shown = [m.message for m in get_messages(answers[-1].wsgi_request)]
    assert "try again in" in shown[-1]


def test_notices_to_the_owner_of_a_taken_address_stop_at_the_limit(user):
    User.objects.filter(pk=user.pk).update(email_verified=True)

    for n in range(PER_ADDRESS + 2):
        sign_up(from_address(f"203.0.113.{n}"), username=f"taker{n}", email="alice@example.test")

    assert len(mail.outbox) == PER_ADDRESS


def test_address_changes_to_one_target_stop_mailing_at_the_limit(db):
    clients = []
    for n in range(PER_ADDRESS + 1):
        client = from_address(f"192.0.2.{n}")
        sign_up(client, username=f"user{n}", email=f"user{n}@example.test")
        clients.append(client)
    mail.outbox.clear()

    for client in clients:
        client.post(
            "/accounts/profile/", {"first_name": "", "last_name": "", "email": "vic@example.test"}
        )

    assert len([m for m in mail.outbox if m.to == ["vic@example.test"]]) == PER_ADDRESS


def test_one_client_address_is_limited_across_targets(settings, db):
    settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_IP = "2/h"
    client = from_address("198.51.100.7")

    answers = [reset(client, f"target{n}@example.test") for n in range(3)]
    signup = sign_up(from_address("198.51.100.7"), username="zed", email="zed@example.test")

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert signup.status_code == 429
    assert "try again in" in signup.content.decode()
    assert not User.objects.filter(username="zed").exists()
    assert mail.outbox == []
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RATE_LIMITED).count() == 2
    # Another address is not affected.
    assert sign_up(from_address("198.51.100.8"), username="zed").status_code == 302


def test_one_account_is_limited_across_target_addresses(settings, signed_in, user):
    settings.PORTAL_RATELIMIT_ACCOUNT_MAILS_PER_ACCOUNT = "2/h"

    answers = [
        signed_in.post(
            "/accounts/profile/",
            {"first_name": "", "last_name": "", "email": f"new{n}@example.test"},
        )
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "try again in" in answers[-1].content.decode()
    user.refresh_from_db()
    assert user.email == "new1@example.test"
    assert len(mail.outbox) == 2
