"""Views that require a permission from the user's roles (``RequirePermission``,
``TokenHasMethodPermission``): 403 ``insufficient_scope`` in RFC 6750's format when the token's
user lacks it, for opaque and JWT access tokens alike."""

import pytest

from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource, RoleAssignment
from tests.factories import ApplicationFactory
from tests.oauth_helpers import mint_access_token, token_request
from tests.server.role_helpers import colors_api, role_with, tokens_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.apis.permission_urls")]
ADMIN_VIEW = "/api/colors/palette-admin/"
METHOD_VIEW = "/api/colors/palette/"


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def assert_insufficient(response, permission: str):
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{permission}"' in challenge
    assert response.json()["error"] == "insufficient_scope"
    assert response.json()["scope"] == permission


@pytest.fixture
def colors_uses_jwt(db):
    ApiResource.objects.filter(pk=colors_api().pk).update(
        access_token_format=ApiResource.TokenFormat.JWT
    )
    registry.forget()


@pytest.fixture
def editor_role(db, user):
    return role_with(colors_api(), "editor", "colors:read", "colors:write", holders=[user])


def test_a_token_whose_user_holds_the_permission_is_let_in(client, user, app, editor_role):
    token = mint_access_token(user=user, app=app, scope="colors:write")

    response = client.get(ADMIN_VIEW, **bearer(token))

    assert response.status_code == 200
    assert response.json() == {"palette": "admin"}


def test_a_granted_scope_without_the_role_is_refused(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read colors:write")

    assert_insufficient(client.get(ADMIN_VIEW, **bearer(token)), "colors:write")


def test_the_role_without_the_granted_scope_is_refused(client, user, app, editor_role):
    """Permissions gate on top of scopes: the client was never granted colors:write."""
    token = mint_access_token(user=user, app=app, scope="colors:read")

    assert_insufficient(client.get(ADMIN_VIEW, **bearer(token)), "colors:write")


def test_removing_the_role_refuses_an_opaque_token_at_once(client, user, app, editor_role):
    token = mint_access_token(user=user, app=app, scope="colors:write")
    assert client.get(ADMIN_VIEW, **bearer(token)).status_code == 200

    RoleAssignment.objects.filter(role=editor_role, user=user).delete()

    assert_insufficient(client.get(ADMIN_VIEW, **bearer(token)), "colors:write")


def test_a_client_credentials_token_has_no_permissions(client, editor_role):
    service = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    RoleAssignment.objects.create(role=editor_role, user=service.user)
    token = token_request(
        client, service, {"grant_type": "client_credentials", "scope": "colors:write"}
    ).json()["access_token"]

    assert_insufficient(client.get(ADMIN_VIEW, **bearer(token)), "colors:write")


def test_no_token_is_still_401(client):
    response = client.get(ADMIN_VIEW)

    assert response.status_code == 401
    assert "error=" not in response["WWW-Authenticate"]


def test_a_jwt_with_the_permission_claim_is_let_in(signed_in, app, editor_role, colors_uses_jwt):
    token = tokens_for(signed_in, app, "colors:write")["access_token"]

    assert signed_in.get(ADMIN_VIEW, **bearer(token)).status_code == 200


def test_a_jwt_without_the_permission_claim_is_refused(signed_in, app, colors_uses_jwt):
    token = tokens_for(signed_in, app, "colors:read colors:write")["access_token"]

    assert_insufficient(signed_in.get(ADMIN_VIEW, **bearer(token)), "colors:write")


def test_a_method_needs_its_permission_and_others_only_their_scope(client, user, app):
    role_with(colors_api(), "viewer", "colors:read", holders=[user])
    token = mint_access_token(user=user, app=app, scope="colors:read colors:write")

    assert client.get(METHOD_VIEW, **bearer(token)).status_code == 200
    assert_insufficient(client.post(METHOD_VIEW, **bearer(token)), "colors:write")


def test_a_method_permission_held_is_let_in(client, user, app, editor_role):
    token = mint_access_token(user=user, app=app, scope="colors:read colors:write")

    assert client.post(METHOD_VIEW, **bearer(token)).status_code == 201
