"""A client's allow-list (the scopes and APIs it may ask for) holds at the token endpoint too,
not only at the authorization request: a code or refresh token issued before an admin narrowed
the list mints nothing beyond it, and ``resource=`` cannot name an API the client may not use.

What the client sees: a token narrowed to what is still allowed (the response's ``scope`` says
so, RFC 6749 §3.3), ``invalid_scope`` or ``invalid_target`` when it asks for more, and
``invalid_grant`` when nothing the grant holds is allowed any more."""

import json

import pytest
from oauth2_provider.models import get_access_token_model

from oauth_portal.server.models import ApiResource, Scope
from tests.oauth_helpers import basic_auth, get_code, token_request

pytestmark = pytest.mark.django_db
OTHER = "https://api.example.test/other"


def allow(app, *names: str) -> None:
    app.allowed_scopes.set(Scope.objects.filter(name__in=names))


def redeem_with(client, app, code: str, verifier: str, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris.split()[0],
        "code_verifier": verifier,
        **extra,
    }
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth(app.client_id))


def refresh_with(client, app, refresh_token: str, **extra):
    return token_request(
        client, app, {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    )


def tokens_minted() -> int:
    return get_access_token_model().objects.count()


def post_color(client, token):
    return client.post(
        "/api/colors/",
        json.dumps({"name": "Teal", "hex": "#008080"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def other_api(db):
    api = ApiResource.objects.create(name="Other", identifier=OTHER, base_path="/api/other/")
    Scope.objects.create(name="other:read", description="See other things", api=api)
    return api


@pytest.fixture
def granted(signed_in, app):
    """Tokens for ``openid colors:read colors:write``, issued while all three were allowed."""
    allow(app, "openid", "colors:read", "colors:write")
    code, verifier = get_code(signed_in, app, scope="openid colors:read colors:write")
    response = redeem_with(signed_in, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


# --- Code redemption ------------------------------------------------------------------------------


def test_a_code_redeemed_after_a_scope_was_taken_off_the_list_mints_no_token_for_it(signed_in, app):
    allow(app, "openid", "colors:read", "colors:write")
    code, verifier = get_code(signed_in, app, scope="openid colors:read colors:write")
    allow(app, "openid", "colors:read")  # the admin takes colors:write away

    response = redeem_with(signed_in, app, code, verifier)

    assert response.status_code == 200
    assert response.json()["scope"] == "openid colors:read"
    assert get_access_token_model().objects.get().scope == "openid colors:read"
    refused = post_color(signed_in, response.json()["access_token"])
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused["WWW-Authenticate"]


def test_a_code_whose_scopes_are_all_off_the_list_is_invalid_grant(signed_in, app, other_api):
    allow(app, "colors:read", "colors:write")
    code, verifier = get_code(signed_in, app, scope="colors:read colors:write")
    allow(app, "other:read")

    response = redeem_with(signed_in, app, code, verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert tokens_minted() == 0


def test_resource_naming_an_api_the_client_may_not_use_is_invalid_target_at_redemption(
    signed_in, app, other_api
):
    allow(app, "openid", "colors:read")
    code, verifier = get_code(signed_in, app, scope="openid colors:read")

    response = redeem_with(signed_in, app, code, verifier, resource=OTHER)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert tokens_minted() == 0


def test_a_code_for_an_api_taken_off_the_list_is_invalid_grant(signed_in, app, other_api):
    allow(app, "openid", "other:read")
    code, verifier = get_code(signed_in, app, scope="openid other:read", resource=OTHER)
    allow(app, "openid", "colors:read")

    response = redeem_with(signed_in, app, code, verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert tokens_minted() == 0


# --- Refresh --------------------------------------------------------------------------------------


def test_a_refresh_after_a_scope_was_taken_off_the_list_narrows_the_new_token(client, app, granted):
    allow(app, "openid", "colors:read")

    response = refresh_with(client, app, granted["refresh_token"])

    assert response.status_code == 200
    assert response.json()["scope"] == "openid colors:read"
    assert post_color(client, response.json()["access_token"]).status_code == 403
    again = refresh_with(client, app, response.json()["refresh_token"])
    assert again.json()["scope"] == "openid colors:read"


def test_a_refresh_asking_for_a_scope_taken_off_the_list_is_invalid_scope(client, app, granted):
    allow(app, "openid", "colors:read")
    before = tokens_minted()

    response = refresh_with(client, app, granted["refresh_token"], scope="colors:write")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert tokens_minted() == before


def test_a_refresh_whose_scopes_are_all_off_the_list_is_invalid_grant(
    client, app, granted, other_api
):
    allow(app, "other:read")
    before = tokens_minted()

    response = refresh_with(client, app, granted["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert tokens_minted() == before


def test_resource_naming_an_api_the_client_may_not_use_is_invalid_target_at_refresh(
    client, app, granted, other_api
):
    before = tokens_minted()

    response = refresh_with(client, app, granted["refresh_token"], resource=OTHER)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert tokens_minted() == before


def test_a_refresh_within_the_list_keeps_every_scope(client, app, granted):
    response = refresh_with(client, app, granted["refresh_token"])

    assert response.status_code == 200
    assert response.json()["scope"] == "openid colors:read colors:write"
