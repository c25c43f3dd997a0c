"""Roles and custom claims on a host site with Django's own ``auth.User`` (``tests/host_project``,
run under gunicorn as in ``test_host_protocol.py``): an operator defines a role, assigns it,
adds claims from the user's fields and groups, and switches the Colors API to JWT access
tokens; the tokens a real client (Authlib) gets carry them, verified with joserfc against the
published JWKS, outside Django."""

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.protocol_helpers import discovery, published_jwks, sign_in, verified_id_token_claims
from tests.host_project.host_site import running_host
from tests.host_project.test_host_protocol import (
    CLIENT_ID,
    CLIENT_SECRET,
    HTTP_TIMEOUT,
    PASSWORD,
    USERNAME,
    code_flow,
)

COLORS = "https://api.example.test/colors"
GROUPS = "https://example.com/groups"
FIRST_NAME = "https://example.com/first_name"

# Run in the host's ``manage.py shell`` before the server starts, through our services.
SET_UP_ROLES_AND_CLAIMS = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from oauth_portal.server import custom_claims, roles
from oauth_portal.server.models import ApiResource, CustomClaim, Role, Scope
carol = get_user_model().objects.get(username={USERNAME!r})
admin = get_user_model().objects.get(username="admin")
carol.groups.add(Group.objects.create(name="designers"))
colors = ApiResource.objects.get(identifier={COLORS!r})
colors.access_token_format = ApiResource.TokenFormat.JWT
colors.save()
viewer = roles.role_save(role=Role(api=colors, name="viewer"),
    scopes=list(Scope.objects.filter(name="colors:read")), actor=admin)
roles.role_assign(role=viewer, user=carol, actor=admin)
custom_claims.custom_claim_save(claim=CustomClaim(key={GROUPS!r}, source="groups",
    in_id_token=True), actor=admin)
custom_claims.custom_claim_save(claim=CustomClaim(key={FIRST_NAME!r}, attribute="first_name",
    api=colors), actor=admin)
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    create_carol = (
        "from django.contrib.auth import get_user_model; get_user_model().objects"
        f".create_user({USERNAME!r}, 'carol@example.test', {PASSWORD!r}, first_name='Carol')"
    )
    with running_host(
        tmp_path_factory.mktemp("host_roles"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scripts=(create_carol, SET_UP_ROLES_AND_CLAIMS),
        superuser=True,
    ) as site:
        yield site


def test_tokens_on_a_host_site_carry_roles_permissions_and_custom_claims(host):
    browser = sign_in(host["url"], USERNAME, PASSWORD)
    metadata = discovery(host["url"])
    jwks = published_jwks(host["url"])

    _, token, nonce = code_flow(host, browser, "openid colors:read colors:write")

    id_claims = verified_id_token_claims(
        token["id_token"], jwks, issuer=metadata["issuer"], client_id=CLIENT_ID, nonce=nonce
    )
    assert id_claims[GROUPS] == ["designers"]
    access = jwt.decode(token["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt"
    assert access.claims["aud"] == COLORS
    assert access.claims["permissions"] == ["colors:read"]
    assert access.claims["roles"] == ["viewer"]
    assert access.claims[FIRST_NAME] == "Carol"
    assert GROUPS in metadata["claims_supported"]

    answer = requests.post(
        metadata["introspection_endpoint"],
        data={"token": token["access_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=HTTP_TIMEOUT,
    ).json()
    assert (answer["permissions"], answer["roles"]) == (["colors:read"], ["viewer"])
