"""Roles per API: the `permissions` and `roles` claims of JWT access tokens (verified outside
Django with joserfc) and of introspection, and `enforce_roles` narrowing what a user is issued."""

import pytest

from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource, RoleAssignment, Scope
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import mint_access_token, token_request
from tests.server.role_helpers import (
    COLORS,
    colors_api,
    introspect,
    role_with,
    tokens_for,
    verified_claims,
)

pytestmark = pytest.mark.django_db
PHOTOS = "https://api.example.test/photos"


@pytest.fixture
def photos_api(db):
    api = ApiResource.objects.create(name="Photos API", identifier=PHOTOS, base_path="/photos/")
    Scope.objects.create(name="photos:read", description="See your photos", api=api)
    return api


@pytest.fixture
def enforce_roles(db):
    ApiResource.objects.filter(identifier=COLORS).update(enforce_roles=True)
    registry.forget()


# --- JWT access tokens --------------------------------------------------------------------------


def test_a_jwt_for_an_api_carries_the_users_permissions_within_the_granted_scopes(
    signed_in, app, user, colors_uses_jwt
):
    role_with(colors_api(), "editor", "colors:read", "colors:write", holders=[user])
    role_with(colors_api(), "viewer", "colors:read", holders=[user])

    tokens = tokens_for(signed_in, app, "openid colors:read")
    claims = verified_claims(signed_in, tokens["access_token"])

    # colors:write is the user's, but the client was not granted it: not the client's to use.
    assert claims["permissions"] == ["colors:read"]
    assert claims["roles"] == ["editor", "viewer"]
    assert claims["scope"] == "openid colors:read"


def test_a_user_without_roles_gets_empty_claims_not_missing_ones(signed_in, app, colors_uses_jwt):
    tokens = tokens_for(signed_in, app, "colors:read colors:write")

    claims = verified_claims(signed_in, tokens["access_token"])

    assert claims["permissions"] == []
    assert claims["roles"] == []


def test_roles_of_another_api_stay_out_of_the_token(
    signed_in, app, user, colors_uses_jwt, photos_api
):
    role_with(photos_api, "admin", "photos:read", holders=[user])

    claims = verified_claims(signed_in, tokens_for(signed_in, app, "colors:read")["access_token"])

    assert claims["roles"] == []
    assert claims["permissions"] == []


def test_another_users_roles_are_not_in_my_token(signed_in, app, colors_uses_jwt):
    role_with(colors_api(), "editor", "colors:read", holders=[UserFactory(username="bob")])

    claims = verified_claims(signed_in, tokens_for(signed_in, app, "colors:read")["access_token"])

    assert claims["roles"] == []


def test_a_client_credentials_jwt_has_no_roles_or_permissions(client, colors_uses_jwt, user):
    service = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )
    role_with(colors_api(), "editor", "colors:read", holders=[service.user, user])

    response = token_request(
        client, service, {"grant_type": "client_credentials", "scope": "colors:read"}
    )
    claims = verified_claims(client, response.json()["access_token"])

    assert claims["sub"] == service.client_id
    assert "permissions" not in claims
    assert "roles" not in claims


# --- Introspection ------------------------------------------------------------------------------


def test_introspection_of_an_opaque_token_answers_permissions_and_roles(signed_in, app, user):
    role_with(colors_api(), "viewer", "colors:read", holders=[user])
    token = tokens_for(signed_in, app, "openid colors:read colors:write", resource=COLORS)[
        "access_token"
    ]

    answer = introspect(signed_in, app, token)

    assert answer["active"] is True
    assert answer["permissions"] == ["colors:read"]
    assert answer["roles"] == ["viewer"]


def test_introspection_reads_roles_as_they_are_now(signed_in, app, user):
    role = role_with(colors_api(), "viewer", "colors:read", holders=[user])
    token = tokens_for(signed_in, app, "colors:read")["access_token"]
    assert introspect(signed_in, app, token)["permissions"] == ["colors:read"]

    RoleAssignment.objects.filter(role=role).delete()

    answer = introspect(signed_in, app, token)
    assert answer["active"] is True
    assert (answer["permissions"], answer["roles"]) == ([], [])


def test_a_token_for_no_api_has_no_role_claims(signed_in, app, user):
    role_with(colors_api(), "viewer", "colors:read", holders=[user])
    token = tokens_for(signed_in, app, "openid profile")["access_token"]

    answer = introspect(signed_in, app, token)

    assert answer["active"] is True
    assert "permissions" not in answer
    assert "roles" not in answer


def test_a_token_for_two_apis_carries_both_permissions_but_no_ambiguous_roles(
    user, app, photos_api
):
    role_with(colors_api(), "admin", "colors:read", holders=[user])
    role_with(photos_api, "admin", "photos:read", holders=[user])
    token = mint_access_token(user=user, app=app, scope="colors:read photos:read")

    from django.test import Client

    answer = introspect(Client(), app, token)

    assert answer["permissions"] == ["colors:read", "photos:read"]
    # "admin" of the Photos API must never read as "admin" of the Colors API.
    assert "roles" not in answer


def test_introspecting_a_client_credentials_token_shows_no_roles(client):
    service = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    role_with(colors_api(), "editor", "colors:read", holders=[service.user])
    token = token_request(
        client, service, {"grant_type": "client_credentials", "scope": "colors:read"}
    ).json()["access_token"]

    answer = introspect(client, service, token)

    assert answer["active"] is True
    assert "permissions" not in answer and "roles" not in answer


# --- enforce_roles ------------------------------------------------------------------------------


def test_enforce_roles_issues_only_the_scopes_the_users_roles_permit(
    signed_in, app, user, enforce_roles
):
    role_with(colors_api(), "viewer", "colors:read", holders=[user])

    tokens = tokens_for(signed_in, app, "openid colors:read colors:write")

    assert tokens["scope"] == "openid colors:read"
    refused = signed_in.post(
        "/api/colors/",
        {"name": "Sky", "hex": "#3366ff"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
    )
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused["WWW-Authenticate"]


def test_without_enforce_roles_roles_only_inform(signed_in, app, user):
    role_with(colors_api(), "viewer", "colors:read", holders=[user])

    tokens = tokens_for(signed_in, app, "openid colors:read colors:write")

    assert tokens["scope"] == "openid colors:read colors:write"


def test_a_user_whose_roles_permit_nothing_asked_gets_invalid_grant(signed_in, app, enforce_roles):
    from tests.oauth_helpers import get_code, redeem

    code, verifier = get_code(signed_in, app, scope="colors:write")
    response = redeem(signed_in, app, code, verifier)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_refresh_after_the_role_is_removed_no_longer_renews_its_scopes(
    signed_in, app, user, enforce_roles
):
    role = role_with(colors_api(), "viewer", "colors:read", holders=[user])
    tokens = tokens_for(signed_in, app, "openid colors:read")
    assert tokens["scope"] == "openid colors:read"

    RoleAssignment.objects.filter(role=role).delete()
    refreshed = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )

    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["scope"] == "openid"


def test_enforce_roles_leaves_client_credentials_alone(client, enforce_roles):
    service = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")

    response = token_request(
        client, service, {"grant_type": "client_credentials", "scope": "colors:read colors:write"}
    )

    assert response.json()["scope"] == "colors:read colors:write"


def test_enforce_roles_on_one_api_leaves_another_apis_scopes_alone(
    signed_in, app, photos_api, enforce_roles
):
    tokens = tokens_for(signed_in, app, "openid colors:read photos:read")

    assert tokens["scope"] == "openid photos:read"
