"""A slow mail provider never holds the request: mail leaves from a thread pool."""

import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from tests.accounts.helpers import only_mail

pytestmark = pytest.mark.django_db

provider_answers = threading.Event()
provider_called = threading.Event()
delivered = threading.Event()


class StuckProviderBackend(EmailBackend):
    """A provider that does not answer until the test lets it."""

    def send_messages(self, messages):
        provider_called.set()
        assert provider_answers.wait(timeout=30)
        sent = super().send_messages(messages)
        delivered.set()
        return sent


def test_a_password_reset_answers_while_the_provider_is_stuck(client, user, settings):
    settings.EMAIL_BACKEND = "oauth_portal.server.mail_delivery.BackgroundEmailBackend"
    settings.PORTAL_MAIL_DELIVERY_BACKEND = (
        "tests.accounts.test_mail_leaves_after_the_request.StuckProviderBackend"
    )
    for event in (provider_answers, provider_called, delivered):
        event.clear()

    response = client.post("/accounts/password-reset/", {"email": user.email})

    assert response.status_code == 302
    assert provider_called.wait(timeout=30)
    assert mail.outbox == []  # answered, and the mail is still with the provider

    provider_answers.set()
    assert delivered.wait(timeout=30)
    assert "reset" in only_mail().subject.lower()
