"""Helpers the roles, permissions and custom-claims tests share."""

import base64
import json

from joserfc import jwt
from joserfc.jwk import KeySet

from oauth_portal.server.models import ApiResource, Role, RoleAssignment, Scope
from tests.oauth_helpers import basic_auth, get_code, redeem

COLORS = "https://api.example.test/colors"


def colors_api() -> ApiResource:
    return ApiResource.objects.get(identifier=COLORS)


def role_with(api: ApiResource, name: str, *scope_names: str, holders=()) -> Role:
    """A role of ``api`` permitting ``scope_names``, held by ``holders``."""
    role = Role.objects.create(api=api, name=name)
    role.scopes.set(Scope.objects.filter(name__in=scope_names))
    for user in holders:
        RoleAssignment.objects.create(role=role, user=user)
    return role


def tokens_for(client, app, scope: str, **params) -> dict:
    code, verifier = get_code(client, app, scope=scope, prompt="consent", **params)
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def verified_claims(client, token: str) -> dict:
    """The token's claims, verified as an API outside Django would: joserfc and the JWKS."""
    keys = KeySet.import_key_set(client.get("/o/.well-known/jwks.json").json())
    return jwt.decode(token, keys, algorithms=["RS256"]).claims


def unverified_claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def introspect(client, app, token: str) -> dict:
    response = client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 200, response.content
    return response.json()
