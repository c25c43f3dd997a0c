"""Stored, incremental and granular consent on the authorization endpoint, and the prompt and
max_age parameters of OpenID Connect Core 3.1.2.1, each with the exact redirect parameters."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import consents
from oauth_portal.server.models import Consent, Scope
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    consent_form_data,
    get_code,
    pkce_pair,
    query_of,
    redeem,
    token_request,
)

pytestmark = pytest.mark.django_db
ISSUER = "http://testserver/o"


def open_authorize(client, app, **params):
    verifier, challenge = pkce_pair()
    response = client.get(authorize_url(authorize_params(app, challenge=challenge, **params)))
    return response, verifier


def allow(client, app, *, untick=(), **params):
    page, verifier = open_authorize(client, app, **params)
    assert page.status_code == 200, page.content[:300]
    data = consent_form_data(page, untick=untick) | {"allow": "true"}
    response = client.post("/o/authorize/", data)
    return response, verifier


def test_consent_page_is_skipped_when_everything_asked_was_granted(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")

    response, _ = open_authorize(signed_in, app, scope="openid colors:read", state="again")

    assert response.status_code == 302
    params = query_of(response["Location"])
    assert response["Location"].startswith(app.redirect_uris + "?")
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == "again"
    assert params["iss"] == ISSUER


def test_asking_for_less_than_granted_also_skips_the_page(signed_in, app):
    allow(signed_in, app, scope="openid colors:read colors:write")
    response, _ = open_authorize(signed_in, app, scope="colors:read")
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


def test_asking_for_more_shows_only_the_new_scopes(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")

    page, _ = open_authorize(signed_in, app, scope="openid colors:read colors:write")

    assert page.status_code == 200
    assert [row["name"] for row in page.context["scope_rows"]] == ["colors:write"]
    assert [row["name"] for row in page.context["granted_before_rows"]] == ["openid", "colors:read"]
    body = page.content.decode()
    assert "You already allowed" in body
    assert "Save new colors to your list" in body


def test_incremental_consent_adds_to_what_was_granted(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")
    response, verifier = allow(signed_in, app, scope="openid colors:read colors:write")
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()

    assert tokens["scope"] == "openid colors:read colors:write"
    assert Consent.objects.get().scopes == {"openid", "colors:read", "colors:write"}


def test_prompt_consent_always_shows_the_page(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")
    page, _ = open_authorize(signed_in, app, scope="openid colors:read", prompt="consent")
    assert page.status_code == 200
    assert b'name="allow"' in page.content


def test_prompt_none_without_consent_returns_consent_required(signed_in, app):
    response, _ = open_authorize(signed_in, app, prompt="none", state="silent")

    assert response.status_code == 302
    assert response["Location"].startswith(app.redirect_uris + "?")
    assert query_of(response["Location"]) == {
        "error": "consent_required",
        "state": "silent",
        "iss": ISSUER,
    }


def test_prompt_none_signed_out_returns_login_required(client, app):
    response, _ = open_authorize(client, app, prompt="none", state="silent")
    assert response.status_code == 302
    params = query_of(response["Location"])
    assert params["error"] == "login_required"
    assert params["state"] == "silent"
    assert "code" not in params


def test_prompt_none_with_consent_returns_a_code_silently(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")
    response, _ = open_authorize(signed_in, app, scope="openid colors:read", prompt="none")
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


def test_prompt_none_for_new_scopes_returns_consent_required(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")
    response, _ = open_authorize(signed_in, app, scope="openid colors:write", prompt="none")
    assert query_of(response["Location"])["error"] == "consent_required"


def test_prompt_login_forces_a_fresh_sign_in(signed_in, app):
    allow(signed_in, app, scope="openid")
    response, _ = open_authorize(signed_in, app, scope="openid", prompt="login")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "prompt" not in response["Location"]


def test_max_age_forces_a_fresh_sign_in_when_the_sign_in_is_older(signed_in, app, user):
    allow(signed_in, app, scope="openid")
    type(user).objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(minutes=10))

    too_old, _ = open_authorize(signed_in, app, scope="openid", max_age="300")
    recent_enough, _ = open_authorize(signed_in, app, scope="openid", max_age="3600")

    assert too_old["Location"].startswith("/accounts/login/?next=")
    assert "code" in query_of(recent_enough["Location"])


def test_partial_grant_yields_tokens_with_reduced_scope_and_the_api_refuses_the_rest(
    signed_in, app
):
    response, verifier = allow(
        signed_in, app, scope="openid colors:read colors:write", untick=("colors:write",)
    )
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()

    assert tokens["scope"] == "openid colors:read"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert signed_in.get("/api/colors/", **bearer).status_code == 200
    refused = signed_in.post(
        "/api/colors/", {"name": "Sky", "hex": "#3366ff"}, content_type="application/json", **bearer
    )
    assert refused.status_code == 403
    assert 'scope="colors:write"' in refused["WWW-Authenticate"]
    assert Consent.objects.get().scopes == {"openid", "colors:read"}


def test_openid_and_required_scopes_cannot_be_unticked(signed_in, db):
    app = ApplicationFactory()
    app.required_scopes.add(Scope.objects.get(name="colors:read"))
    page, verifier = open_authorize(signed_in, app, scope="openid colors:read colors:write")
    optional = [row["name"] for row in page.context["scope_rows"] if row["optional"]]
    assert optional == ["colors:write"]

    data = consent_form_data(page) | {"allow": "true", "granted_scope": []}
    response = signed_in.post("/o/authorize/", data)
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()
    assert tokens["scope"] == "openid colors:read"


def test_posting_scopes_that_were_not_requested_grants_nothing_more(signed_in, app):
    page, verifier = open_authorize(signed_in, app, scope="openid colors:read")
    data = consent_form_data(page) | {
        "allow": "true",
        "granted_scope": ["colors:read", "colors:write", "profile"],
    }
    response = signed_in.post("/o/authorize/", data)
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()
    assert tokens["scope"] == "openid colors:read"


def test_unticking_everything_optional_is_a_denial(signed_in, app):
    response, _ = allow(
        signed_in, app, scope="colors:read colors:write", untick=("colors:read", "colors:write")
    )
    assert query_of(response["Location"])["error"] == "access_denied"
    assert not Consent.objects.exists()


def test_denial_stores_no_consent(signed_in, app):
    page, _ = open_authorize(signed_in, app)
    signed_in.post("/o/authorize/", consent_form_data(page))
    assert not Consent.objects.exists()
    again, _ = open_authorize(signed_in, app)
    assert again.status_code == 200


def test_first_party_app_skips_consent(signed_in, db):
    app = ApplicationFactory(skip_authorization=True)
    response, _ = open_authorize(signed_in, app, scope="openid colors:read")
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


def test_approval_prompt_auto_cannot_skip_consent(signed_in, app):
    page, _ = open_authorize(signed_in, app, approval_prompt="auto")
    assert page.status_code == 200


def test_consent_records_grant_and_last_use(signed_in, app, user):
    response, verifier = allow(signed_in, app, scope="openid colors:read")
    consent = Consent.objects.get(user=user, application=app)
    consent.last_used_at = None
    consent.save()
    redeem(signed_in, app, query_of(response["Location"])["code"], verifier)

    consent.refresh_from_db()
    assert consent.last_used_at is not None
    event = AuditEvent.objects.get(type=AuditEvent.Type.CONSENT_GRANTED)
    assert event.details["scope"] == "openid colors:read"


def test_removing_access_kills_access_and_refresh_tokens_and_pending_codes(signed_in, app, user):
    response, verifier = allow(signed_in, app)
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()
    pending, pending_verifier = allow(signed_in, app, prompt="consent")

    consents.consent_revoke(user=user, application=app)

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert signed_in.get("/api/colors/", **bearer).status_code == 401
    refresh = signed_in.post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
            "client_secret": "test-client-secret-that-is-long-enough-0123456789",
        },
    )
    assert refresh.json()["error"] == "invalid_grant"
    code = query_of(pending["Location"])["code"]
    assert redeem(signed_in, app, code, pending_verifier).json()["error"] == "invalid_grant"
    assert not Consent.objects.exists()
    again, _ = open_authorize(signed_in, app)
    assert again.status_code == 200


def test_removing_one_scope_revokes_tokens_carrying_it(signed_in, app, user):
    response, verifier = allow(signed_in, app, scope="openid colors:read colors:write")
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()

    consents.consent_scope_remove(user=user, application=app, scope="colors:write")

    assert Consent.objects.get().scopes == {"openid", "colors:read"}
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert signed_in.get("/api/colors/", **bearer).status_code == 401
    page, _ = open_authorize(signed_in, app, scope="openid colors:read colors:write")
    assert [row["name"] for row in page.context["scope_rows"]] == ["colors:write"]


def test_connected_apps_page_lists_the_app_in_plain_words(signed_in, app):
    allow(signed_in, app, scope="openid colors:read")
    page = signed_in.get("/accounts/apps/")
    assert page.status_code == 200
    body = page.content.decode()
    assert app.name in body
    assert "See your saved colors" in body
    assert "client.example.test" in body


def test_remove_access_from_the_connected_apps_page(signed_in, app):
    response, verifier = allow(signed_in, app, scope="openid colors:read")
    tokens = redeem(signed_in, app, query_of(response["Location"])["code"], verifier).json()

    removed = signed_in.post(f"/accounts/apps/{app.pk}/revoke/")

    assert removed.status_code == 302
    assert not Consent.objects.exists()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert signed_in.get("/api/colors/", **bearer).status_code == 401
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CONSENT_REVOKED, application=app).exists()
    listed = signed_in.get("/accounts/apps/").context["connected_apps"]
    assert listed == []


def test_remove_one_scope_from_the_connected_apps_page(signed_in, app):
    allow(signed_in, app, scope="openid colors:read colors:write")
    signed_in.post(f"/accounts/apps/{app.pk}/scopes/remove/", {"scope": "colors:write"})
    assert Consent.objects.get().scopes == {"openid", "colors:read"}


def test_another_users_connected_app_is_a_404_and_nothing_changes(client, app, user):

    consents.consent_grant(user=user, application=app, scopes=["openid"], resource=[])
    intruder = UserFactory(username="mallory")
    client.force_login(intruder)

    assert client.post(f"/accounts/apps/{app.pk}/revoke/").status_code == 404
    assert (
        client.post(f"/accounts/apps/{app.pk}/scopes/remove/", {"scope": "openid"}).status_code
        == 404
    )
    assert Consent.objects.get(user=user).scopes == {"openid"}


def test_connected_app_actions_are_post_only(signed_in, app, user):
    consents.consent_grant(user=user, application=app, scopes=["openid"], resource=[])
    assert signed_in.get(f"/accounts/apps/{app.pk}/revoke/").status_code == 405
    assert Consent.objects.exists()


RefreshToken = get_refresh_token_model()


@pytest.mark.django_db
def test_withdrawn_consent_revokes_refresh_tokens_instead_of_leaving_them_orphaned(
    signed_in, app, user
):
    """After the user removes an app, its refresh tokens are revoked, not merely left without
    an access token (which DOT happens to refuse today): the admin's "Not revoked" list and
    anything else reading ``revoked`` must not show them live."""
    code, verifier = get_code(signed_in, app)
    tokens = redeem(signed_in, app, code, verifier).json()

    consents.consent_revoke(user=user, application=app)

    refresh = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.filter(
        user=user, application=app, revoked__isnull=True
    ).exists()
