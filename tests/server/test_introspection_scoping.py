"""Introspection (RFC 7662) answers a client about its own tokens and about tokens for the APIs
it serves as a resource server; about any other token it learns nothing, not even that the token
exists (``{"active": false}``). The user's name is released only with the ``profile`` scope."""

import pytest
from oauth2_provider.models import get_access_token_model

from oauth_portal.server.models import ApiResource, Scope
from tests.factories import CLIENT_SECRET, ApplicationFactory, UserFactory
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db

COLORS = "https://api.example.test/colors"
OTHER = "https://api.example.test/other"


@pytest.fixture
def colors_api(db):
    return ApiResource.objects.get(identifier=COLORS)


@pytest.fixture
def other_api(db):
    api = ApiResource.objects.create(name="Other API", identifier=OTHER, base_path="/api/other/")
    Scope.objects.create(name="other:read", description="See other things", api=api)
    return api


@pytest.fixture
def stranger(db):
    """Another developer's confidential client: anyone can register one in the portal."""
    return ApplicationFactory(name="Someone else's app")


@pytest.fixture
def colors_server(colors_api):
    """A client the admin recorded as a resource server of the Colors API."""
    server = ApplicationFactory(
        name="Colors backend", authorization_grant_type="client-credentials"
    )
    colors_api.resource_servers.add(server)
    return server


def token_for(app, *, scope: str, resource: list[str] | None = None, user=None) -> str:
    value = mint_access_token(user=user or UserFactory(username="erin"), app=app, scope=scope)
    if resource is not None:
        get_access_token_model().objects.filter(application=app).update(resource=resource)
    return value


def introspect(client, as_app, token: str):
    return client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(as_app.client_id)
    )


def test_another_clients_token_is_reported_inactive_and_nothing_else(client, app, stranger):
    token = token_for(app, scope="openid profile email colors:read", resource=[COLORS])

    response = introspect(client, stranger, token)

    assert response.status_code == 200
    assert response.json() == {"active": False}
    assert response["Cache-Control"] == "no-store"
    # The token itself is untouched and still works for its owner.
    assert introspect(client, app, token).json()["active"] is True


def test_own_token_is_described_in_full(client, app):
    token = token_for(app, scope="openid profile colors:read", user=UserFactory(username="erin"))

    body = introspect(client, app, token).json()

    assert body["active"] is True
    assert body["client_id"] == app.client_id
    assert body["scope"] == "openid profile colors:read"
    assert body["username"] == "erin"
    assert isinstance(body["exp"], int)


def test_username_is_released_only_with_the_profile_scope(client, app):
    token = token_for(app, scope="openid colors:read", user=UserFactory(username="erin"))

    body = introspect(client, app, token).json()

    assert body["active"] is True
    assert "username" not in body
    assert "erin" not in str(body)


def test_resource_server_of_colors_sees_a_token_carrying_a_colors_scope(client, app, colors_server):
    token = token_for(app, scope="openid colors:read")

    body = introspect(client, colors_server, token).json()

    assert body["active"] is True
    assert body["client_id"] == app.client_id
    assert body["scope"] == "openid colors:read"
    assert "username" not in body


def test_resource_server_sees_a_token_whose_audience_names_its_api(client, app, colors_server):
    token = token_for(app, scope="openid", resource=[COLORS])

    body = introspect(client, colors_server, token).json()

    assert body["active"] is True
    assert body["aud"] in (COLORS, [COLORS])


def test_a_recorded_audience_decides_over_the_scopes(client, app, colors_server, other_api):
    token = token_for(app, scope="colors:read other:read", resource=[OTHER])

    assert introspect(client, colors_server, token).json() == {"active": False}


def test_resource_server_of_colors_learns_nothing_about_tokens_for_other_apis(
    client, app, colors_server, other_api
):
    without_audience = token_for(app, scope="openid profile other:read")
    other_app = ApplicationFactory()
    with_audience = token_for(other_app, scope="other:read", resource=[OTHER])

    assert introspect(client, colors_server, without_audience).json() == {"active": False}
    assert introspect(client, colors_server, with_audience).json() == {"active": False}


def test_no_longer_a_resource_server_means_no_answer(client, app, colors_api, colors_server):
    token = token_for(app, scope="colors:read")
    colors_api.resource_servers.remove(colors_server)

    assert introspect(client, colors_server, token).json() == {"active": False}


def test_introspection_still_requires_client_authentication(client, app):
    token = token_for(app, scope="colors:read")

    response = client.post("/o/introspect/", {"token": token})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")


def test_a_bearer_token_does_not_stand_in_for_client_authentication(client, app):
    """DOT's view would also accept a bearer token with the ``introspection`` scope."""
    token = token_for(app, scope="colors:read")
    bearer = token_for(ApplicationFactory(), scope="introspection colors:read")

    response = client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Bearer {bearer}"
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_credentials_in_the_body_identify_the_client_too(client, app, stranger):
    """client_secret_post (RFC 6749 §2.3.1) decides what the client may see, as Basic does."""
    token = token_for(app, scope="colors:read")

    def as_(asker):
        return client.post(
            "/o/introspect/",
            {"token": token, "client_id": asker.client_id, "client_secret": CLIENT_SECRET},
        ).json()

    assert as_(app)["active"] is True
    assert as_(stranger) == {"active": False}
