"""A whole account life, end to end: every step leaves its audit event and none a secret."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from tests.accounts.helpers import NEW_PASSWORD, OTHER_PASSWORD, mailed_path, sign_up
from tests.audit.helpers import all_event_text

pytestmark = pytest.mark.django_db

THIRD_PASSWORD = "Velvet-Orchard-Compass-7"


def test_account_life_is_audited_without_passwords_or_tokens(client):
    sign_up(client)
    verify_link = mailed_path(mail.outbox[-1])
    client.get(verify_link)
    client.post("/accounts/profile/", {"first_name": "Bo", "last_name": "", "email": "bo@x.test"})
    second_verify_link = mailed_path(mail.outbox[-1])
    client.post(
        "/accounts/password/",
        {
            "old_password": NEW_PASSWORD,
            "new_password1": OTHER_PASSWORD,
            "new_password2": OTHER_PASSWORD,
        },
    )
    browser = Client()
    browser.post("/accounts/password-reset/", {"email": "bo@x.test"})
    reset_link = mailed_path(mail.outbox[-1])
    set_password_page = browser.get(reset_link)["Location"]
    browser.post(
        set_password_page, {"new_password1": THIRD_PASSWORD, "new_password2": THIRD_PASSWORD}
    )

    user = get_user_model().objects.get(username="bob")
    events = AuditEvent.objects.filter(user=user).order_by("id").values_list("type", flat=True)
    assert list(events) == [
        AuditEvent.Type.SIGNED_UP,
        AuditEvent.Type.EMAIL_VERIFIED,
        AuditEvent.Type.PROFILE_CHANGED,
        AuditEvent.Type.PASSWORD_CHANGED,
        AuditEvent.Type.PASSWORD_RESET_REQUESTED,
        AuditEvent.Type.PASSWORD_RESET,
    ]
    tokens = [link.rstrip("/").rsplit("/", 1)[1] for link in (verify_link, second_verify_link)]
    tokens.append(re.search(r"/reset/[^/]+/([^/]+)/", reset_link).group(1))
    text = all_event_text()
    for secret in (NEW_PASSWORD, OTHER_PASSWORD, THIRD_PASSWORD, *tokens):
        assert secret not in text, f"{secret[:6]}... leaked into the audit log"
