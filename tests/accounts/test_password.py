"""Password change (signed in) and password reset (by e-mail)."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from tests.accounts.helpers import NEW_PASSWORD, OTHER_PASSWORD, can_sign_in, mailed_path, only_mail
from tests.audit.helpers import events_of, only_event

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


def change(client, *, old: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password1": new, "new_password2": confirm or new},
    )


# --- Change ---------------------------------------------------------------------------------------


def test_password_change_needs_sign_in(client):
    response = client.get("/accounts/password/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/accounts/password/")


def test_password_change_keeps_this_session_and_replaces_the_password(signed_in, user):
    response = change(signed_in)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
    assert signed_in.get("/accounts/").status_code == 200
    assert not can_sign_in("alice", PASSWORD)
    assert can_sign_in("alice", NEW_PASSWORD)
    event = only_event(AuditEvent.Type.PASSWORD_CHANGED)
    assert (event.user, event.actor) == (user, user)


def test_password_change_signs_out_other_sessions(signed_in, user):
    other_browser = Client()
    other_browser.force_login(user)

    change(signed_in)

    assert other_browser.get("/accounts/").status_code == 302


def test_password_change_with_a_wrong_old_password_changes_nothing(signed_in, user):
    response = change(signed_in, old="not-my-password")

    assert response.status_code == 200
    assert response.context["form"].has_error("old_password", "password_incorrect")
    assert can_sign_in("alice", PASSWORD)
    assert events_of(AuditEvent.Type.PASSWORD_CHANGED) == []


@pytest.mark.parametrize(
    ("new", "confirm", "code"),
    [
        ("password", None, "password_too_common"),
        (NEW_PASSWORD, OTHER_PASSWORD, "password_mismatch"),
    ],
)
def test_password_change_refuses_a_weak_or_mistyped_new_password(signed_in, new, confirm, code):
    response = change(signed_in, new=new, confirm=confirm)

    assert response.status_code == 200
    assert response.context["form"].has_error("new_password2", code)
    assert can_sign_in("alice", PASSWORD)


# --- Reset ----------------------------------------------------------------------------------------


def request_reset(client, email: str):
    return client.post("/accounts/password-reset/", {"email": email})


def reset_link(client, user) -> str:
    request_reset(client, user.email)
    path = mailed_path(only_mail())
    mail.outbox.clear()
    return path


def set_password(client, link: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    """Follow the mailed link (Django swaps the token into the session) and post the form."""
    response = client.get(link)
    assert response.status_code == 302, response.status_code
    return client.post(
        response["Location"], {"new_password1": new, "new_password2": confirm or new}
    )


def test_reset_for_an_unknown_address_shows_the_same_page_and_sends_nothing(client, user):
    unknown = request_reset(client, "nobody@example.test")
    known = request_reset(client, "alice@example.test")

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == "/accounts/password-reset/done/"
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]


def test_reset_request_is_recorded_whether_or_not_the_address_is_known(client, user):
    request_reset(client, "nobody@example.test")
    request_reset(client, "ALICE@example.test")

    events = events_of(AuditEvent.Type.PASSWORD_RESET_REQUESTED)
    assert [(e.user, e.details["requested_email"]) for e in events] == [
        (None, "nobody@example.test"),
        (user, "ALICE@example.test"),
    ]


def test_reset_done_page_does_not_say_whether_the_address_is_known(client, user):
    page = client.get("/accounts/password-reset/done/").content.decode()

    assert "If an account uses the address" in page


def test_reset_link_sets_a_new_password(client, user):
    response = set_password(client, reset_link(client, user))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/reset/done/"
    assert client.get(response["Location"]).status_code == 200
    assert not can_sign_in("alice", PASSWORD)
    assert can_sign_in("alice", NEW_PASSWORD)
    event = only_event(AuditEvent.Type.PASSWORD_RESET)
    assert event.user == user


def test_reset_link_works_only_once(client, user):
    link = reset_link(client, user)
    set_password(client, link)

    response = Client().get(link)

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "does not work" in response.content.decode()


def test_tampered_reset_link_is_refused(client, user):
    prefix, token = reset_link(client, user).rstrip("/").rsplit("/", 1)

    response = client.get(f"{prefix}/{token[:-2]}xx/")

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert can_sign_in("alice", PASSWORD)


def test_reset_refuses_a_weak_new_password(client, user):
    response = set_password(client, reset_link(client, user), new="password")

    assert response.status_code == 200
    assert response.context["form"].has_error("new_password2", "password_too_common")
    assert can_sign_in("alice", PASSWORD)
    assert events_of(AuditEvent.Type.PASSWORD_RESET) == []


def test_reset_mail_has_text_and_html_parts_with_the_link(client, user):
    request_reset(client, "alice@example.test")

    message = only_mail()
    assert "reset" in message.subject.lower()
    assert [mime for _content, mime in message.alternatives] == ["text/html"]
    assert mailed_path(message).startswith("/accounts/reset/")
