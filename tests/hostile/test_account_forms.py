"""Hostile input at the account forms: sign-in, sign-up, password reset and profile.

A refused form is Django's re-rendered form with its errors (200) or a 400; an account is
created, or a user signed in, only for valid input; ``next`` never leaves the site."""

from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import strategies as hs
from tests.hostile.harness import (
    Exchange,
    assert_no_server_error,
    assert_nothing_changed,
    send,
)

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
PASSWORD = "Tr1cky-Lantern-Mosaic"
SIGN_UP = {
    "username": "bob",
    "email": "bob@example.test",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def assert_form_refused(exchange: Exchange) -> None:
    """Django's answer to an invalid form: the page again, with the errors (or a plain 400)."""
    assert_no_server_error(exchange)
    assert exchange.status in (200, 400), str(exchange)
    if exchange.status == 200:
        form = exchange.response.context["form"]
        assert form.is_bound and form.errors, f"200 without form errors:\n{exchange}"
    assert_nothing_changed(exchange)


def assert_stays_on_site(exchange: Exchange) -> None:
    """Where a browser would go: WHATWG URL parsing strips leading and trailing C0 controls
    and spaces, drops tabs and newlines, and reads a backslash as a slash."""
    location = exchange.response["Location"].strip("".join(map(chr, range(33))))
    location = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    target = urlsplit(urljoin("https://testserver/accounts/login/", location))
    assert target.scheme == "https" and target.netloc == "testserver", (
        f"next left the site:\n{exchange}"
    )


def form_body(fields: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in fields.items()).encode()


@given(
    pairs=hs.form_pairs(["username", "password", "next", "csrfmiddlewaretoken"]),
    content_type=st.sampled_from(hs.NON_MULTIPART_CONTENT_TYPES),
)
def test_hostile_sign_in_attempts_are_refused(client, user, pairs, content_type):
    exchange = send(
        client, "POST", "/accounts/login/", body=hs.urlencoded(pairs), content_type=content_type
    )

    assert_form_refused(exchange)
    assert "_auth_user_id" not in client.session


@given(next_url=hs.hostile_text())
def test_after_a_real_sign_in_next_never_leaves_the_site(client, user, next_url):
    fields = {"username": "alice", "password": "correct-horse-battery", "next": next_url}

    exchange = send(client, "POST", "/accounts/login/", body=form_body(fields), content_type=FORM)

    assert_no_server_error(exchange)
    assert exchange.status == 302, str(exchange)
    assert_stays_on_site(exchange)
    client.logout()


@given(field=st.sampled_from(list(SIGN_UP) + ["next"]), value=hs.hostile_text())
def test_sign_up_with_one_hostile_field_creates_an_account_only_when_valid(client, field, value):
    fields = {**SIGN_UP, field: value}

    exchange = send(client, "POST", "/accounts/signup/", body=form_body(fields), content_type=FORM)

    assert_no_server_error(exchange)
    if exchange.status == 302:
        # Valid after all (e.g. another acceptable user name): exactly one new account.
        assert exchange.added == {"accounts.User": 1}, str(exchange)
        assert set(exchange.changed) == {"accounts.User"}, str(exchange)
        assert_stays_on_site(exchange)
        client.logout()
        get_user_model().objects.all().delete()
    else:
        assert_form_refused(exchange)


@given(
    pairs=hs.form_pairs(list(SIGN_UP) + ["next"]),
    content_type=st.sampled_from(hs.NON_MULTIPART_CONTENT_TYPES),
)
def test_sign_up_garbage_creates_nothing(client, user, pairs, content_type):
    exchange = send(
        client, "POST", "/accounts/signup/", body=hs.urlencoded(pairs), content_type=content_type
    )

    assert_form_refused(exchange)


@given(email=hs.hostile_text())
def test_password_reset_with_a_hostile_address_changes_nothing(client, user, email):
    exchange = send(
        client,
        "POST",
        "/accounts/password-reset/",
        body=form_body({"email": email}),
        content_type=FORM,
    )

    assert_no_server_error(exchange)
    if exchange.status == 302:
        assert exchange.response["Location"] == "/accounts/password-reset/done/", str(exchange)
        assert_nothing_changed(exchange)
    else:
        assert_form_refused(exchange)


@given(field=st.sampled_from(["first_name", "last_name", "email"]), value=hs.hostile_text())
def test_profile_refuses_hostile_values_or_saves_them_verbatim(client, user, field, value):
    client.force_login(user)
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "alice@example.test",
        field: value,
    }

    exchange = send(client, "POST", "/accounts/profile/", body=form_body(fields), content_type=FORM)

    assert_no_server_error(exchange)
    if exchange.status == 302:
        user.refresh_from_db()
        assert set(exchange.changed) <= {"accounts.User"}, str(exchange)
    else:
        assert_form_refused(exchange)


@pytest.mark.parametrize("action", ["revoke/", "scopes/remove/"])
def test_connected_app_actions_with_a_huge_id_are_404(client, user, action):
    client.force_login(user)

    exchange = send(
        client,
        "POST",
        f"/accounts/apps/{'9' * 30}/{action}",
        body=b"scope=openid",
        content_type=FORM,
    )

    assert exchange.status == 404, str(exchange)
    assert_nothing_changed(exchange)
