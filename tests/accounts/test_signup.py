"""Sign-up: who may create an account, what they get, and where they land."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from oauth_portal.audit.models import AuditEvent
from tests.accounts.helpers import NEW_PASSWORD, can_sign_in, mailed_path, only_mail, sign_up
from tests.audit.helpers import only_event

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_sign_up_creates_an_unverified_account_and_signs_it_in(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    user = User.objects.get(username="bob")
    assert (user.email, user.email_verified) == ("bob@example.test", False)
    assert client.get("/accounts/").context["user"] == user
    assert can_sign_in("bob", NEW_PASSWORD)


def test_sign_up_mails_exactly_one_verification_link_to_the_new_address(client):
    sign_up(client)

    message = only_mail()
    assert message.to == ["bob@example.test"]
    assert "verify" in message.subject.lower()
    assert mailed_path(message).startswith("/accounts/verify-email/")
    assert [mime for _content, mime in message.alternatives] == ["text/html"]


def test_sign_up_rotates_the_session_key(client):
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted_key = session.session_key

    sign_up(client)

    assert client.cookies["sessionid"].value != planted_key


def test_sign_up_is_recorded_without_the_password(client):
    sign_up(client)

    user = User.objects.get(username="bob")
    event = only_event(AuditEvent.Type.SIGNED_UP)
    assert (event.user, event.actor) == (user, user)
    assert NEW_PASSWORD not in str(event.details)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"password1": "password", "password2": "password"}, "password2", "password_too_common"),
        ({"password1": "x7!", "password2": "x7!"}, "password2", "password_too_short"),
        (
            {"password1": "83749201837", "password2": "83749201837"},
            "password2",
            "password_entirely_numeric",
        ),
        (
            {"password1": "bob@example.test", "password2": "bob@example.test"},
            "password2",
            "password_too_similar",
        ),
        ({"password2": "Another-Long-Password-9"}, "password2", "password_mismatch"),
        ({"email": ""}, "email", "required"),
        ({"email": "not-an-address"}, "email", "invalid"),
        ({"username": ""}, "username", "required"),
    ],
    ids=[
        "common",
        "short",
        "numeric",
        "like-email",
        "mismatch",
        "no-email",
        "bad-email",
        "no-username",
    ],
)
def test_sign_up_refuses_bad_input_next_to_the_field(client, overrides, field, code):
    response = sign_up(client, **overrides)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error(field, code), form.errors.as_data()
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.filter(username=overrides.get("username", "bob")).exists()
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.SIGNED_UP).exists()


@pytest.mark.parametrize("taken", ["alice", "ALICE"])
def test_sign_up_refuses_a_username_that_is_taken(client, user, taken):
    response = sign_up(client, username=taken)

    assert response.status_code == 200
    assert response.context["form"].has_error("username", "unique")
    assert User.objects.count() == 1
    assert mail.outbox == []


@pytest.mark.parametrize("taken", ["alice@example.test", "Alice@EXAMPLE.test"])
def test_sign_up_with_the_address_of_another_account_does_not_say_so(client, user, taken):
    # The same answer as for a fresh address (test_signup_address_enumeration.py has the rest).
    response = sign_up(client, email=taken)

    assert response.status_code == 302
    assert User.objects.get(username="bob").email_verified is False


def test_sign_up_continues_to_a_safe_next(client):
    next_url = "/o/authorize/?client_id=abc&scope=openid"

    response = sign_up(client, next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == next_url


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/steal",
        "http://evil.example@testserver.evil/",
        "javascript:alert(1)",
    ],
)
def test_sign_up_ignores_a_next_that_leaves_the_site(client, next_url):
    response = sign_up(client, next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert User.objects.filter(username="bob").exists()


def test_sign_up_page_drops_an_off_site_next_from_its_form(client):
    response = client.get("/accounts/signup/", {"next": "https://evil.example/"})

    assert response.status_code == 200
    assert "evil.example" not in response.content.decode()


def test_sign_in_page_links_to_sign_up_keeping_next(client):
    response = client.get("/accounts/login/", {"next": "/o/authorize/?client_id=abc&x=1"})

    html = response.content.decode()
    assert 'href="/accounts/signup/?next=/o/authorize/%3Fclient_id%3Dabc%26x%3D1"' in html
    assert 'href="/accounts/password-reset/"' in html


def test_sign_up_page_links_back_to_sign_in_keeping_next(client):
    response = client.get("/accounts/signup/", {"next": "/o/authorize/?client_id=abc&x=1"})

    html = response.content.decode()
    assert 'href="/accounts/login/?next=/o/authorize/%3Fclient_id%3Dabc%26x%3D1"' in html
    assert 'name="next" value="/o/authorize/?client_id=abc&amp;x=1"' in html


def test_sign_in_page_keeps_its_standard_form(client, user):
    html = client.get("/accounts/login/", {"next": "/accounts/profile/"}).content.decode()

    for name in ("username", "password", "next"):
        assert f'name="{name}"' in html
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct-horse-battery", "next": "/accounts/profile/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


def test_sign_up_form_fields_are_labelled_for_assistive_technology(client):
    html = client.get("/accounts/signup/").content.decode()

    for field in ("username", "email", "password1", "password2"):
        assert f'<label for="id_{field}">' in html
    assert 'autocomplete="new-password"' in html
    assert 'aria-describedby="id_password1_helptext"' in html
