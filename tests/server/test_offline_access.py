"""offline_access (OpenID Connect Core 11): refresh tokens without it end when the user signs
out here; with it they survive; a strict client gets none without it.

What a client sees: the token endpoint's answer (``invalid_grant``, whether a ``refresh_token``
is issued), and what a user sees: the consent page's words.
"""

import pytest
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Scope
from tests.factories import ApplicationFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    get_code,
    pkce_pair,
    redeem,
    token_request,
)
from tests.server.logout_helpers import confirm, logout_url

pytestmark = pytest.mark.django_db

WITHOUT = "openid colors:read"
WITH = "openid colors:read offline_access"


def tokens_for(client, app, scope):
    code, verifier = get_code(client, app, scope=scope, prompt="consent")
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def refresh(client, app, refresh_token):
    return token_request(
        client, app, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def test_offline_access_exists_after_migrate_in_plain_words(signed_in, app):
    assert Scope.objects.get(name="offline_access").is_active
    verifier, challenge = pkce_pair()

    page = signed_in.get(authorize_url(authorize_params(app, challenge=challenge, scope=WITH)))

    assert page.status_code == 200
    assert "Stay connected while you&#x27;re away" in page.content.decode()
    discovery = signed_in.get("/o/.well-known/openid-configuration").json()
    assert "offline_access" in discovery["scopes_supported"]


def test_a_client_with_an_explicit_allow_list_may_still_ask_for_offline_access(signed_in):
    narrow = ApplicationFactory()
    narrow.allowed_scopes.set(Scope.objects.filter(name__in=["openid", "colors:read"]))

    tokens = tokens_for(signed_in, narrow, WITH)

    assert set(tokens["scope"].split()) == {"openid", "colors:read", "offline_access"}
    assert tokens["refresh_token"]


def test_without_offline_access_signing_out_ends_the_refresh_token(signed_in, app):
    tokens = tokens_for(signed_in, app, WITHOUT)
    assert tokens["refresh_token"]  # clients that never ask still get one

    signed_in.post("/accounts/logout/")
    response = refresh(signed_in, app, tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert signed_in.get("/api/colors/", **bearer).status_code == 401
    signed_out = AuditEvent.objects.get(type=AuditEvent.Type.TOKENS_REVOKED)
    assert signed_out.details["reason"] == "signed_out"
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_REUSED).exists()


def test_rp_initiated_logout_ends_refresh_tokens_without_offline_access(signed_in, logout_app):
    tokens = tokens_for(signed_in, logout_app, WITHOUT)

    confirm(signed_in, signed_in.get(logout_url(id_token_hint=tokens["id_token"])))

    assert refresh(signed_in, logout_app, tokens["refresh_token"]).json()["error"] == (
        "invalid_grant"
    )


def test_with_offline_access_refresh_works_after_signing_out(signed_in, app):
    tokens = tokens_for(signed_in, app, WITH)

    signed_in.post("/accounts/logout/")
    response = refresh(signed_in, app, tokens["refresh_token"])

    assert response.status_code == 200, response.content
    assert response.json()["refresh_token"]
    again = refresh(signed_in, app, response.json()["refresh_token"])
    assert again.status_code == 200


def test_a_rotated_refresh_token_stays_tied_to_the_sign_in(signed_in, app):
    tokens = tokens_for(signed_in, app, WITHOUT)
    rotated = refresh(signed_in, app, tokens["refresh_token"]).json()

    signed_in.post("/accounts/logout/")

    assert refresh(signed_in, app, rotated["refresh_token"]).json()["error"] == "invalid_grant"


def test_signing_out_elsewhere_leaves_this_sign_in_tokens_alone(signed_in, app, user):
    tokens = tokens_for(signed_in, app, WITHOUT)
    other_browser = Client()
    other_browser.force_login(user)
    tokens_for(other_browser, app, WITHOUT)

    other_browser.post("/accounts/logout/")

    assert refresh(signed_in, app, tokens["refresh_token"]).status_code == 200


def test_signing_in_again_as_the_same_user_keeps_the_tie(signed_in, app, user):
    tokens = tokens_for(signed_in, app, WITHOUT)
    signed_in.force_login(user)  # e.g. max_age asked for a fresh sign-in: a new session key
    rotated = refresh(signed_in, app, tokens["refresh_token"])
    assert rotated.status_code == 200

    signed_in.post("/accounts/logout/")

    assert refresh(signed_in, app, rotated.json()["refresh_token"]).json()["error"] == (
        "invalid_grant"
    )


def test_a_strict_client_gets_no_refresh_token_without_offline_access(signed_in):
    strict = ApplicationFactory(refresh_tokens_need_offline_access=True)

    without = tokens_for(signed_in, strict, WITHOUT)
    with_offline = tokens_for(signed_in, strict, WITH)

    assert "refresh_token" not in without
    assert without["access_token"] and without["id_token"]
    assert with_offline["refresh_token"]
    signed_in.post("/accounts/logout/")
    assert refresh(signed_in, strict, with_offline["refresh_token"]).status_code == 200


def test_a_stranger_cannot_end_someone_else_tokens_by_signing_out(signed_in, app):
    tokens = tokens_for(signed_in, app, WITHOUT)

    Client().post("/accounts/logout/")  # nobody signed in: nothing to end

    assert refresh(signed_in, app, tokens["refresh_token"]).status_code == 200
