"""Tokens follow the account: deactivating a user or resetting their password revokes every
token and pending code they have, in every app, at once; a password change does so when the user
ticks "Also sign out of connected apps"; and an inactive user's token is refused everywhere even
if it somehow survived."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import registry
from oauth_portal.server import tokens as token_services
from oauth_portal.server.models import ApiResource
from tests.accounts.helpers import NEW_PASSWORD, can_sign_in, mailed_path, only_mail
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import get_code, mint_access_token, redeem, token_request

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


def userinfo(client, token):
    return client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")


def refresh(client, app, tokens):
    return token_request(
        client, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )


def sign_in_to(client, app, scope="openid profile colors:read") -> dict:
    code, verifier = get_code(client, app, scope=scope)
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def assert_token_dead(client, app, tokens):
    response = api_get(client, tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert userinfo(client, tokens["access_token"]).status_code == 401
    refreshed = refresh(client, app, tokens)
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def assert_token_alive(client, app, tokens):
    assert api_get(client, tokens["access_token"]).status_code == 200
    assert userinfo(client, tokens["access_token"]).status_code == 200


@pytest.fixture
def other_app(db):
    return ApplicationFactory(name="Other app")


@pytest.fixture
def alice_tokens(signed_in, app, other_app):
    """Alice signed in to two apps; both tokens have been used once (they sit in the cache)."""
    tokens = {app: sign_in_to(signed_in, app), other_app: sign_in_to(signed_in, other_app)}
    for client_app, issued in tokens.items():
        assert_token_alive(signed_in, client_app, issued)
    return tokens


@pytest.fixture
def bob_tokens(app):
    bob = UserFactory(username="bob")
    browser = Client()
    browser.force_login(bob)
    return sign_in_to(browser, app)


def user_tokens_left(user) -> dict[str, int]:
    return {
        "access": get_access_token_model().objects.filter(user=user).count(),
        "live refresh": get_refresh_token_model()
        .objects.filter(user=user, revoked__isnull=True)
        .count(),
        "id": get_id_token_model().objects.filter(user=user).count(),
        "codes": get_grant_model().objects.filter(user=user).count(),
    }


NOTHING_LEFT = {"access": 0, "live refresh": 0, "id": 0, "codes": 0}


# --- Deactivation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("update_fields", [None, ["is_active"]], ids=["save", "save-is_active"])
def test_deactivating_a_user_revokes_every_token_in_every_app(
    client, user, app, other_app, alice_tokens, bob_tokens, update_fields
):
    pending_code, verifier = get_code(
        client_for(user), app, scope="openid colors:read", prompt="consent"
    )

    user.is_active = False
    user.save(update_fields=update_fields)

    for client_app, tokens in alice_tokens.items():
        assert_token_dead(client, client_app, tokens)
    assert redeem(client, app, pending_code, verifier).json()["error"] == "invalid_grant"
    assert user_tokens_left(user) == NOTHING_LEFT
    assert api_get(client, bob_tokens["access_token"]).status_code == 200
    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKENS_REVOKED, user=user)
    assert event.details["reason"] == "deactivated"


def client_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_deactivating_a_user_kills_their_jwt_access_tokens(client, signed_in, user, app):
    ApiResource.objects.filter(identifier="https://api.example.test/colors").update(
        access_token_format=ApiResource.TokenFormat.JWT
    )
    registry.forget()
    tokens = sign_in_to(signed_in, app, scope="colors:read")
    assert tokens["access_token"].count(".") == 2
    assert api_get(client, tokens["access_token"]).status_code == 200

    user.is_active = False
    user.save()

    response = api_get(client, tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_saving_other_fields_of_a_user_costs_no_look_up_and_revokes_nothing(
    user, alice_tokens, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the update itself: no look-up, no revocation
        user.first_name = "Alicia"
        user.save(update_fields=["first_name"])

    assert AuditEvent.objects.filter(type=AuditEvent.Type.TOKENS_REVOKED).count() == 0


# --- An inactive user's surviving token is refused everywhere ------------------------------------


def test_a_token_of_a_user_switched_off_without_signals_is_refused(client, signed_in, user, app):
    """A bulk ``update()`` sends no signal, so the tokens survive; they are still refused."""
    tokens = sign_in_to(signed_in, app)
    pending_code, verifier = get_code(signed_in, app, scope="openid colors:read", prompt="consent")

    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_get(client, tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert userinfo(client, tokens["access_token"]).status_code == 401
    assert refresh(client, app, tokens).json()["error"] == "invalid_grant"
    assert redeem(client, app, pending_code, verifier).json()["error"] == "invalid_grant"
    assert get_access_token_model().objects.filter(user=user).count() == 1  # nothing new minted


# --- Password reset -------------------------------------------------------------------------------


def reset_password_by_mail(user) -> None:
    """What the user does: ask for a link, follow it, choose a new password."""
    browser = Client()
    browser.post("/accounts/password-reset/", {"email": user.email})
    link = mailed_path(only_mail())
    mail.outbox.clear()
    form_page = browser.get(link)
    assert form_page.status_code == 302
    done = browser.post(
        form_page["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"


def test_a_password_reset_revokes_every_token_in_every_app(client, user, alice_tokens, bob_tokens):
    reset_password_by_mail(user)

    for client_app, tokens in alice_tokens.items():
        assert_token_dead(client, client_app, tokens)
    assert user_tokens_left(user) == NOTHING_LEFT
    assert api_get(client, bob_tokens["access_token"]).status_code == 200
    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKENS_REVOKED, user=user)
    assert event.details["reason"] == "password_changed"


def test_an_admin_setting_a_new_password_revokes_every_token(client, user, alice_tokens):
    user.set_password(NEW_PASSWORD)
    user.save()

    for client_app, tokens in alice_tokens.items():
        assert_token_dead(client, client_app, tokens)


def test_a_password_hash_upgrade_at_sign_in_revokes_nothing(client, user, alice_tokens):
    """Django re-hashes a password stored with an older hasher when the user signs in: the
    password is the same, so the tokens stay."""
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    old_hash = User.objects.get(pk=user.pk).password

    assert can_sign_in("alice", PASSWORD)

    assert User.objects.get(pk=user.pk).password != old_hash  # upgraded
    for client_app, tokens in alice_tokens.items():
        assert_token_alive(client, client_app, tokens)


# --- Password change ------------------------------------------------------------------------------


def change_password(client, **extra):
    return client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            **extra,
        },
    )


def test_the_password_page_offers_to_sign_out_of_connected_apps(signed_in):
    page = signed_in.get("/accounts/password/").content.decode()

    assert 'name="sign_out_apps"' in page
    assert "Also sign out of connected apps" in page


def test_a_password_change_keeps_connected_apps_signed_in_by_default(
    client, signed_in, alice_tokens
):
    response = change_password(signed_in)

    assert response.status_code == 302
    for client_app, tokens in alice_tokens.items():
        assert_token_alive(client, client_app, tokens)
        assert refresh(client, client_app, tokens).status_code == 200
    assert AuditEvent.objects.filter(type=AuditEvent.Type.TOKENS_REVOKED).count() == 0


def test_a_password_change_with_the_box_ticked_signs_out_of_every_app(
    client, signed_in, user, alice_tokens, bob_tokens
):
    response = change_password(signed_in, sign_out_apps="on")

    assert response.status_code == 302
    assert signed_in.get("/accounts/").status_code == 200  # this session stays
    for client_app, tokens in alice_tokens.items():
        assert_token_dead(client, client_app, tokens)
    assert user_tokens_left(user) == NOTHING_LEFT
    assert api_get(client, bob_tokens["access_token"]).status_code == 200


def test_a_refused_password_change_with_the_box_ticked_revokes_nothing(
    client, signed_in, alice_tokens
):
    response = change_password(signed_in, old_password="not-my-password", sign_out_apps="on")

    assert response.status_code == 200
    for client_app, tokens in alice_tokens.items():
        assert_token_alive(client, client_app, tokens)


def test_revoking_a_users_tokens_costs_the_same_however_many_apps_they_use(db):
    def cost(user, apps) -> int:
        for client_app in apps:
            mint_access_token(user=user, app=client_app, scope="colors:read")
        with CaptureQueriesContext(connection) as captured:
            assert token_services.user_tokens_revoke(user=user, reason="deactivated") == len(apps)
        return len(captured.captured_queries)

    one = cost(UserFactory(username="one"), [ApplicationFactory()])
    five = cost(UserFactory(username="five"), [ApplicationFactory() for _ in range(5)])

    assert one == five
