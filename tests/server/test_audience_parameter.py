"""Auth0's `audience` parameter means what RFC 8707's `resource` means, at the authorization and
token endpoints: a token for that API, and `invalid_target` for an API nobody registered."""

import pytest

from tests.factories import ApplicationFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    basic_auth,
    get_code,
    pkce_pair,
    query_of,
    redeem,
    token_request,
)

pytestmark = pytest.mark.django_db
COLORS = "https://api.example.test/colors"
UNKNOWN = "https://api.example.test/nobody-registered-this"


def introspected_audience(client, app, token: str):
    body = client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    ).json()
    return body.get("aud")


def test_audience_on_the_authorization_request_mints_a_token_for_that_api(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read", audience=COLORS)
    tokens = redeem(signed_in, app, code, verifier).json()

    assert introspected_audience(signed_in, app, tokens["access_token"]) in (COLORS, [COLORS])


def test_an_unknown_audience_on_the_authorization_request_is_invalid_target(signed_in, app):
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="colors:read", audience=UNKNOWN)

    response = signed_in.get(authorize_url(params))

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_target"


def test_audience_at_the_token_endpoint_mints_a_token_for_that_api(client):
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")

    response = token_request(
        client,
        app,
        {"grant_type": "client_credentials", "scope": "colors:read", "audience": COLORS},
    )

    assert response.status_code == 200
    assert introspected_audience(client, app, response.json()["access_token"]) in (
        COLORS,
        [COLORS],
    )


def test_an_unknown_audience_at_the_token_endpoint_is_invalid_target_and_mints_nothing(client):
    from oauth2_provider.models import get_access_token_model

    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")

    response = token_request(
        client,
        app,
        {"grant_type": "client_credentials", "scope": "colors:read", "audience": UNKNOWN},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"
    assert not get_access_token_model().objects.filter(application=app).exists()


@pytest.mark.parametrize(
    "identifier", ["api://orders", "api://6f1c2e34-8d1b-4f7e-9a51-3c2d1e0f9b7a"]
)
def test_an_azure_style_identifier_is_registered_and_asked_for(client, identifier):
    from oauth_portal.server.models import ApiResource, Scope

    api = ApiResource(name="Orders", identifier=identifier, base_path="/api/orders/")
    api.full_clean()
    api.save()
    Scope.objects.create(name="orders:read", description="See your orders", api=api)
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")

    response = token_request(
        client,
        app,
        {"grant_type": "client_credentials", "scope": "orders:read", "audience": identifier},
    )

    assert response.status_code == 200
    assert introspected_audience(client, app, response.json()["access_token"]) in (
        identifier,
        [identifier],
    )


@pytest.mark.parametrize(
    "identifier", ["orders", "api://", "https://user@api.example/x", "a://b#c"]
)
def test_an_identifier_that_is_no_absolute_uri_is_refused(identifier):
    from django.core.exceptions import ValidationError

    from oauth_portal.server.models import ApiResource

    with pytest.raises(ValidationError) as refused:
        ApiResource(name="Bad", identifier=identifier).full_clean()
    assert refused.value.error_dict["identifier"][0].code == "invalid_resource_identifier"
