"""RFC 8707 resource indicators: a token minted for one API is refused by another, a client may
only ask for APIs it is allowed, and introspection shows the audience."""

import pytest

from oauth_portal.server.models import ApiResource, Scope
from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, get_code, redeem, token_request

pytestmark = pytest.mark.django_db
COLORS = "https://api.example.test/colors"
OTHER = "https://api.example.test/other"


@pytest.fixture
def other_api(db):
    api = ApiResource.objects.create(name="Other API", identifier=OTHER, base_path="/api/other/")
    Scope.objects.create(name="other:read", description="See other things", api=api)
    return api


def api_status(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_token_for_colors_works_at_colors_and_introspection_shows_audience(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read", resource=COLORS)
    tokens = redeem(signed_in, app, code, verifier).json()

    assert api_status(signed_in, tokens["access_token"]) == 200
    body = signed_in.post(
        "/o/introspect/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    ).json()
    assert body["aud"] in (COLORS, [COLORS])


def test_token_minted_for_another_api_is_refused(signed_in, app, other_api):
    code, verifier = get_code(signed_in, app, scope="colors:read other:read", resource=OTHER)
    tokens = redeem(signed_in, app, code, verifier).json()

    response = signed_in.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_client_may_not_ask_for_an_api_it_is_not_allowed(signed_in, other_api):
    app = ApplicationFactory()
    app.allowed_scopes.set(Scope.objects.filter(name__in=["openid", "colors:read"]))
    from tests.oauth_helpers import authorize_params, authorize_url, pkce_pair, query_of

    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid colors:read", resource=OTHER)
    response = signed_in.get(authorize_url(params))
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_target"


def test_client_credentials_token_for_a_resource(client, other_api):
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    token = token_request(
        client, app, {"grant_type": "client_credentials", "scope": "other:read", "resource": OTHER}
    ).json()
    assert token["scope"] == "other:read"
    refused = token_request(
        client,
        ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris=""),
        {
            "grant_type": "client_credentials",
            "scope": "colors:read",
            "resource": "https://nowhere.test/x",
        },
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_target"


def test_a_token_minted_for_an_api_with_openid_also_works_at_userinfo(signed_in, app, user):
    code, verifier = get_code(signed_in, app, scope="openid colors:read", resource=COLORS)
    token = redeem(signed_in, app, code, verifier).json()["access_token"]

    response = signed_in.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.json()["sub"] == str(user.pk)


def redeem_for(client, app, code: str, verifier: str, resource: str):
    return token_request(
        client,
        app,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uris.split()[0],
            "code_verifier": verifier,
            "resource": resource,
        },
    )


def test_a_code_for_one_api_cannot_be_redeemed_for_another(signed_in, app, other_api):
    """RFC 8707 §2.2: the token request may narrow the grant's APIs, never widen them, even to
    an API the client may ask for."""
    code, verifier = get_code(signed_in, app, scope="colors:read other:read", resource=COLORS)

    response = redeem_for(signed_in, app, code, verifier, OTHER)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


def test_a_code_redeemed_for_the_api_it_names_carries_that_audience(signed_in, app, other_api):
    code, verifier = get_code(signed_in, app, scope="colors:read other:read", resource=COLORS)

    response = redeem_for(signed_in, app, code, verifier, COLORS)

    assert response.status_code == 200, response.content
    body = signed_in.post(
        "/o/introspect/",
        {"token": response.json()["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    ).json()
    assert body["aud"] in (COLORS, [COLORS])
