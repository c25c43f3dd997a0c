"""The token endpoint compiles its scope query once per process (compiled_queries.py); what the
query answers must still be each client's and each moment's own: another client's allow-list,
a list changed a moment ago, a role granted or taken between two requests."""

import pytest

from oauth_portal.server.models import RoleAssignment, Scope
from tests.factories import ApplicationFactory
from tests.oauth_helpers import token_request
from tests.server.role_helpers import colors_api, role_with, tokens_for

pytestmark = pytest.mark.django_db


def client_credentials(client, app, scope="colors:read"):
    return token_request(client, app, {"grant_type": "client_credentials", "scope": scope})


def service(**kwargs):
    return ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm="", **kwargs
    )


def test_each_client_gets_its_own_allow_list_answer(client):
    open_service = service()
    listed_service = service()
    other = Scope.objects.create(name="other:read", description="Other")
    listed_service.allowed_scopes.set([other])

    assert client_credentials(client, open_service).status_code == 200
    refused = client_credentials(client, listed_service)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")
    assert client_credentials(client, open_service).status_code == 200


def test_an_allow_list_narrowed_between_two_requests_holds_at_once(client):
    app = service()
    assert client_credentials(client, app).status_code == 200
    app.allowed_scopes.set([Scope.objects.create(name="other:read", description="Other")])

    refused = client_credentials(client, app)

    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")


def test_a_role_taken_between_two_refreshes_narrows_the_next_one(signed_in, user, app):
    api = colors_api()
    api.enforce_roles = True
    api.save()
    role_with(api, "Reader", "colors:read", holders=[user])
    tokens = tokens_for(signed_in, app, "openid colors:read")
    assert "colors:read" in tokens["scope"].split()
    refreshed = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ).json()
    assert "colors:read" in refreshed["scope"].split()

    RoleAssignment.objects.filter(user=user).delete()
    narrowed = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]}
    ).json()

    assert narrowed["scope"].split() == ["openid"]
