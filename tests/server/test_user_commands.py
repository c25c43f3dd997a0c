"""Operator commands for one account: ``suspend_user`` (a compromised account: deactivated,
every token and code revoked, signed out everywhere) and ``revoke_user_tokens`` (every token
revoked, the account and its sign-in untouched)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import get_code, redeem, token_request

pytestmark = pytest.mark.django_db

User = get_user_model()


def sign_in_to(client, app) -> dict:
    code, verifier = get_code(client, app, scope="openid colors:read")
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def api_status(token: str) -> tuple[int, str | None]:
    """The status and the RFC 6750 error code the Colors API answers ``token`` with."""
    response = Client().get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")
    challenge = response.get("WWW-Authenticate", "")
    error = "invalid_token" if 'error="invalid_token"' in challenge else None
    return response.status_code, error


def refresh_error(app, tokens) -> str | None:
    response = token_request(
        Client(), app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    return response.json().get("error")


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def opens_account_page(client) -> bool:
    return client.get("/accounts/").status_code == 200


def test_suspended_user_loses_tokens_refresh_and_session(signed_in, user, app):
    tokens = sign_in_to(signed_in, app)
    assert api_status(tokens["access_token"])[0] == 200 and opens_account_page(signed_in)

    output = run("suspend_user", "alice", "--reason", "phished")

    assert api_status(tokens["access_token"]) == (401, "invalid_token")
    assert refresh_error(app, tokens) == "invalid_grant"
    assert not opens_account_page(signed_in)
    assert "Suspended alice" in output and "1 session(s)" in output
    assert not User.objects.get(pk=user.pk).is_active


def test_suspension_ends_the_session_itself_not_only_its_use(signed_in, user, app):
    sign_in_to(signed_in, app)
    run("suspend_user", "alice")

    # Reactivated later (after a password reset, say): the old session stays ended.
    user.refresh_from_db()
    user.is_active = True
    user.save()

    assert not opens_account_page(signed_in)


def test_suspension_is_audited_with_its_reason(signed_in, user, app):
    sign_in_to(signed_in, app)

    run("suspend_user", "alice", "--reason", "phished")

    event = AuditEvent.objects.get(type=AuditEvent.Type.ADMIN_ACTION, user=user)
    assert event.details["action"] == "user_suspended"
    assert event.details["reason"] == "phished"
    assert event.details["access_tokens_revoked"] == 1


def test_suspension_leaves_other_users_alone(signed_in, app):
    other = Client()
    other.force_login(UserFactory(username="bob"))
    bobs = sign_in_to(other, app)

    run("suspend_user", "alice")

    assert api_status(bobs["access_token"])[0] == 200
    assert opens_account_page(other)


def test_revoking_a_users_tokens_keeps_the_account_and_its_session(signed_in, user, app):
    tokens = sign_in_to(signed_in, app)
    second_app = ApplicationFactory()
    other_tokens = sign_in_to(signed_in, second_app)

    output = run("revoke_user_tokens", "alice")

    assert api_status(tokens["access_token"]) == (401, "invalid_token")
    assert api_status(other_tokens["access_token"])[0] == 401
    assert refresh_error(app, tokens) == "invalid_grant"
    assert opens_account_page(signed_in)
    assert User.objects.get(pk=user.pk).is_active
    assert "Revoked 2 access token(s) of alice" in output
    event = AuditEvent.objects.get(type=AuditEvent.Type.ADMIN_ACTION, user=user)
    assert event.details["action"] == "user_tokens_revoked"


def test_a_revoked_users_pending_code_no_longer_redeems(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid")

    run("revoke_user_tokens", "alice")

    assert redeem(signed_in, app, code, verifier).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("command", ["suspend_user", "revoke_user_tokens"])
def test_unknown_user_is_refused_and_nothing_changes(signed_in, app, command):
    tokens = sign_in_to(signed_in, app)

    with pytest.raises(CommandError, match="No user 'mallory'"):
        run(command, "mallory")

    assert api_status(tokens["access_token"])[0] == 200
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.ADMIN_ACTION).exists()
