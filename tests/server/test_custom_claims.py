"""Custom claims: namespaced values from the user's fields and groups in ID tokens, userinfo, JWT
access tokens (verified with joserfc against the JWKS) and introspection; reserved or
un-namespaced names refused; an unresolvable value left out, never a 500."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client

from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource, CustomClaim, Scope
from tests.factories import ApplicationFactory
from tests.oauth_helpers import mint_access_token, token_request
from tests.server.role_helpers import colors_api, introspect, tokens_for, verified_claims

pytestmark = pytest.mark.django_db
GROUPS = "https://example.com/groups"
MAIL = "https://example.com/mail"
JOINED = "https://example.com/joined"


def claim(key, *, attribute="", source=CustomClaim.Source.ATTRIBUTE, api=None, in_id_token=False):
    """A claim saved as the admin saves it (validated); the registry is told by its signal."""
    made = CustomClaim(
        key=key, source=source, attribute=attribute, api=api, in_id_token=in_id_token
    )
    made.full_clean()
    made.save()
    return made


@pytest.fixture
def designer(user):
    for name in ("designers", "admins"):
        user.groups.add(Group.objects.create(name=name))
    return user


def test_the_id_token_carries_the_users_group_names(signed_in, app, designer):
    claim(GROUPS, source=CustomClaim.Source.GROUPS, in_id_token=True)

    tokens = tokens_for(signed_in, app, "openid")
    claims = verified_claims(signed_in, tokens["id_token"])

    assert claims[GROUPS] == ["admins", "designers"]
    assert claims["sub"] == str(designer.pk)


def test_userinfo_carries_the_id_token_claims(signed_in, app, designer):
    claim(GROUPS, source=CustomClaim.Source.GROUPS, in_id_token=True)
    claim(MAIL, attribute="email", in_id_token=True)
    access = tokens_for(signed_in, app, "openid")["access_token"]

    answer = Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access}").json()

    assert answer[GROUPS] == ["admins", "designers"]
    assert answer[MAIL] == designer.email


def test_an_access_token_claim_goes_in_its_apis_jwt_not_in_the_id_token(
    signed_in, app, user, colors_uses_jwt
):
    claim(MAIL, attribute="email", api=colors_api())
    claim(JOINED, attribute="date_joined", api=colors_api())

    tokens = tokens_for(signed_in, app, "openid colors:read")
    access = verified_claims(signed_in, tokens["access_token"])

    assert access[MAIL] == "alice@example.test"
    assert access[JOINED] == int(user.date_joined.timestamp())
    assert MAIL not in verified_claims(signed_in, tokens["id_token"])


def test_another_apis_claim_stays_out(signed_in, app, colors_uses_jwt):
    photos = ApiResource.objects.create(name="Photos", identifier="https://photos.example.test")
    claim(MAIL, attribute="email", api=photos)

    access = verified_claims(signed_in, tokens_for(signed_in, app, "colors:read")["access_token"])

    assert MAIL not in access


def test_introspection_answers_an_opaque_tokens_claims(signed_in, app, designer):
    claim(GROUPS, source=CustomClaim.Source.GROUPS, api=colors_api())
    token = tokens_for(signed_in, app, "colors:read")["access_token"]

    assert introspect(signed_in, app, token)[GROUPS] == ["admins", "designers"]


def test_a_client_credentials_token_has_no_user_claims(client, colors_uses_jwt):
    claim(MAIL, attribute="email", api=colors_api())
    service = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")

    token = token_request(
        client, service, {"grant_type": "client_credentials", "scope": "colors:read"}
    ).json()["access_token"]

    assert MAIL not in verified_claims(client, token)


def test_a_claim_two_apis_define_differently_is_left_out_of_a_token_for_both(user, app):
    photos = ApiResource.objects.create(name="Photos", identifier="https://photos.example.test")
    Scope.objects.create(name="photos:read", description="See your photos", api=photos)
    claim(MAIL, attribute="email", api=colors_api())
    claim(MAIL, attribute="username", api=photos)
    claim(GROUPS, source=CustomClaim.Source.GROUPS, api=photos)
    token = mint_access_token(user=user, app=app, scope="colors:read photos:read")

    answer = introspect(Client(), app, token)

    assert MAIL not in answer
    assert answer[GROUPS] == []


def test_an_unresolvable_claim_is_left_out_and_the_token_still_issued(
    signed_in, app, colors_uses_jwt
):
    # As if the user model had lost the field since the claim was saved (no validation here).
    CustomClaim.objects.create(key=MAIL, attribute="no_such_field", api=colors_api())
    CustomClaim.objects.create(key=JOINED, attribute="no_such_field", in_id_token=True)
    registry.forget()

    tokens = tokens_for(signed_in, app, "openid colors:read")

    assert MAIL not in verified_claims(signed_in, tokens["access_token"])
    assert JOINED not in verified_claims(signed_in, tokens["id_token"])


def test_a_user_without_a_value_gets_no_claim(signed_in, app, user, colors_uses_jwt):
    claim("https://example.com/last-login", attribute="last_login", api=colors_api())
    type(user).objects.filter(pk=user.pk).update(last_login=None)

    access = verified_claims(signed_in, tokens_for(signed_in, app, "colors:read")["access_token"])

    assert "https://example.com/last-login" not in access


@pytest.mark.parametrize(
    "key",
    ["sub", "iss", "aud", "scope", "client_id", "email", "name", "roles", "permissions", "cnf"],
)
def test_a_registered_claim_name_is_refused(key):
    with pytest.raises(ValidationError) as refused:
        claim(key, attribute="email", in_id_token=True)

    assert refused.value.error_dict["key"][0].code == "reserved_claim"


@pytest.mark.parametrize(
    "key",
    [
        "department",
        "urn:example:department",
        "ftp://example.com/department",
        "https://",
        "https://user@example.com/department",
        "https://example.com/a b",
        "https://example.com/x#frag",
    ],
)
def test_a_key_that_is_not_a_namespaced_url_is_refused(key):
    with pytest.raises(ValidationError) as refused:
        claim(key, attribute="email", in_id_token=True)

    assert "key" in refused.value.error_dict


@pytest.mark.parametrize("attribute", ["password", "groups", "no_such_field", ""])
def test_a_secret_or_unknown_user_field_is_refused(attribute):
    with pytest.raises(ValidationError) as refused:
        claim(MAIL, attribute=attribute, in_id_token=True)

    assert refused.value.error_dict["attribute"][0].code == "unknown_user_field"


def test_a_claim_must_go_somewhere():
    with pytest.raises(ValidationError):
        claim(MAIL, attribute="email")


def test_discovery_lists_the_id_token_claims(client):
    claim(GROUPS, source=CustomClaim.Source.GROUPS, in_id_token=True)
    claim(MAIL, attribute="email", api=colors_api())

    supported = client.get("/o/.well-known/openid-configuration").json()["claims_supported"]

    assert GROUPS in supported
    assert MAIL not in supported  # an access-token claim only
    assert "sub" in supported
