"""Security-relevant actions leave an audit event, and no event ever holds a credential."""

import pytest

from oauth_portal.audit.models import AuditEvent
from tests.audit.helpers import all_event_text, events_of, only_event
from tests.factories import CLIENT_SECRET
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    basic_auth,
    consent_form_data,
    get_code,
    pkce_pair,
    redeem,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
WRONG_PASSWORD = "Wr0ng-but-Memorable-Pa55"


def assert_no_event_contains(*secrets: str) -> None:
    text = all_event_text()
    for secret in secrets:
        assert secret and secret not in text, f"{secret[:8]}... leaked into the audit log"


def refresh(client, app, refresh_token: str):
    return client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )


def revoke(client, app, token: str, hint: str = "access_token"):
    return client.post(
        "/o/revoke_token/",
        {"token": token, "token_type_hint": hint},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )


@pytest.fixture
def tokens(signed_in, app):
    """A completed authorization-code flow for ``user`` and ``app``: (code, token response)."""
    code, verifier = get_code(signed_in, app)
    response = redeem(signed_in, app, code, verifier)
    assert response.status_code == 200, response.content
    return code, response.json()


# --- Sign-in and sign-out ------------------------------------------------------------------------


def test_successful_sign_in_is_recorded(client, user):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    event = only_event(AuditEvent.Type.SIGN_IN_SUCCEEDED)
    assert (event.user, event.actor, event.application) == (user, user, None)
    assert event.ip_address == "127.0.0.1"
    assert_no_event_contains(PASSWORD)


def test_failed_sign_in_records_attempted_username_but_never_the_password(client, user):
    response = client.post("/accounts/login/", {"username": "alice", "password": WRONG_PASSWORD})

    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    event = only_event(AuditEvent.Type.SIGN_IN_FAILED)
    assert event.details["attempted_username"] == "alice"
    assert event.user == user
    assert event.actor is None
    assert not events_of(AuditEvent.Type.SIGN_IN_SUCCEEDED)
    assert_no_event_contains(WRONG_PASSWORD)


def test_failed_sign_in_for_unknown_username_is_recorded_without_a_user(client, db):
    client.post("/accounts/login/", {"username": "nobody-here", "password": WRONG_PASSWORD})

    event = only_event(AuditEvent.Type.SIGN_IN_FAILED)
    assert event.details["attempted_username"] == "nobody-here"
    assert event.user is None
    assert_no_event_contains(WRONG_PASSWORD)


def test_sign_out_by_post_is_recorded(signed_in, user):
    response = signed_in.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session
    event = only_event(AuditEvent.Type.SIGNED_OUT)
    assert (event.user, event.actor) == (user, user)


def test_sign_out_by_get_is_refused_and_keeps_the_session(signed_in, user):
    response = signed_in.get("/accounts/logout/")

    assert response.status_code == 405
    assert signed_in.session["_auth_user_id"] == str(user.pk)
    assert not events_of(AuditEvent.Type.SIGNED_OUT)


# --- Consent and authorization codes ------------------------------------------------------------


def test_granted_consent_and_issued_code_are_recorded(signed_in, user, app):
    code, _verifier = get_code(signed_in, app, scope="openid colors:read")

    consent = only_event(AuditEvent.Type.CONSENT_GRANTED)
    assert (consent.user, consent.actor, consent.application) == (user, user, app)
    assert consent.details["scope"] == "openid colors:read"
    issued = only_event(AuditEvent.Type.CODE_ISSUED)
    assert (issued.user, issued.application) == (user, app)
    assert_no_event_contains(code)


def test_denied_consent_is_recorded_and_issues_no_code(signed_in, user, app):
    _verifier, challenge = pkce_pair()
    page = signed_in.get(authorize_url(authorize_params(app, challenge=challenge)))

    response = signed_in.post("/o/authorize/", consent_form_data(page))  # no "allow": a denial

    assert response.status_code == 302
    assert "error=access_denied" in response["Location"]
    denied = only_event(AuditEvent.Type.CONSENT_DENIED)
    assert (denied.user, denied.actor, denied.application) == (user, user, app)
    assert not events_of(AuditEvent.Type.CONSENT_GRANTED)
    assert not events_of(AuditEvent.Type.CODE_ISSUED)


# --- Tokens ---------------------------------------------------------------------------------------


def test_token_issued_for_authorization_code_is_recorded(tokens, user, app):
    code, issued_tokens = tokens

    event = only_event(AuditEvent.Type.TOKEN_ISSUED)
    assert (event.user, event.application) == (user, app)
    assert event.details["grant_type"] == "authorization_code"
    assert event.details["scope"] == issued_tokens["scope"]
    assert_no_event_contains(
        code,
        issued_tokens["access_token"],
        issued_tokens["refresh_token"],
        issued_tokens["id_token"],
        CLIENT_SECRET,
    )


def test_refreshed_token_is_recorded(signed_in, tokens, user, app):
    code, first = tokens

    response = refresh(signed_in, app, first["refresh_token"])

    assert response.status_code == 200, response.content
    second = response.json()
    event = only_event(AuditEvent.Type.TOKEN_REFRESHED)
    assert (event.user, event.application) == (user, app)
    assert event.details["grant_type"] == "refresh_token"
    assert len(events_of(AuditEvent.Type.TOKEN_ISSUED)) == 1  # a refresh is not a new issue
    assert_no_event_contains(
        code,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
        CLIENT_SECRET,
    )


def test_revoked_token_is_recorded_for_its_application(signed_in, tokens, app):
    code, issued_tokens = tokens

    response = revoke(signed_in, app, issued_tokens["access_token"])

    assert response.status_code == 200
    bearer = f"Bearer {issued_tokens['access_token']}"
    assert signed_in.get("/api/colors/", HTTP_AUTHORIZATION=bearer).status_code == 401
    event = only_event(AuditEvent.Type.TOKEN_REVOKED)
    assert event.application == app
    assert event.details["token_type_hint"] == "access_token"
    assert_no_event_contains(
        code, issued_tokens["access_token"], issued_tokens["refresh_token"], CLIENT_SECRET
    )


def test_revoked_token_event_names_the_token_owner(signed_in, tokens, user, app):
    _code, issued_tokens = tokens

    revoke(signed_in, app, issued_tokens["access_token"])

    assert only_event(AuditEvent.Type.TOKEN_REVOKED).user == user


def test_whole_journey_leaves_every_event_and_no_credential(client, user, app):
    client.post("/accounts/login/", {"username": "alice", "password": WRONG_PASSWORD})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    code, verifier = get_code(client, app)
    first = redeem(client, app, code, verifier).json()
    second = refresh(client, app, first["refresh_token"]).json()
    revoke(client, app, second["refresh_token"], hint="refresh_token")
    client.post("/accounts/logout/")

    recorded = set(AuditEvent.objects.values_list("type", flat=True))
    assert recorded >= {
        AuditEvent.Type.SIGN_IN_FAILED,
        AuditEvent.Type.SIGN_IN_SUCCEEDED,
        AuditEvent.Type.CONSENT_GRANTED,
        AuditEvent.Type.CODE_ISSUED,
        AuditEvent.Type.TOKEN_ISSUED,
        AuditEvent.Type.TOKEN_REFRESHED,
        AuditEvent.Type.TOKEN_REVOKED,
        AuditEvent.Type.SIGNED_OUT,
    }
    assert_no_event_contains(
        PASSWORD,
        WRONG_PASSWORD,
        CLIENT_SECRET,
        code,
        verifier,
        first["access_token"],
        first["refresh_token"],
        first["id_token"],
        second["access_token"],
        second["refresh_token"],
    )
