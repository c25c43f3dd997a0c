"""The Colors API and tokens with no user (client credentials): a service reads the shared
palettes and nothing of anybody's; every refusal is an RFC 6750 answer."""

import pytest
from django.core.cache import cache

from apis.models import Color
from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import mint_access_token, token_request

pytestmark = pytest.mark.django_db

COLORS = "https://api.example.test/colors"


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def service(db):
    return ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )


@pytest.fixture(params=["opaque", "jwt"])
def token_format(request, db):
    ApiResource.objects.filter(identifier=COLORS).update(access_token_format=request.param)
    registry.forget()
    cache.clear()
    return request.param


def service_token(client, service, scope: str) -> str:
    response = token_request(client, service, {"grant_type": "client_credentials", "scope": scope})
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def test_a_service_token_reads_the_shared_palettes(client, service, token_format):
    token = service_token(client, service, "colors:read")

    response = client.get("/api/colors/palettes/", **bearer(token))

    assert response.status_code == 200
    palettes = response.json()
    assert [p["slug"] for p in palettes] == ["sea", "sunset", "forest"]
    assert palettes[0]["colors"][0] == {"name": "Foam", "hex": "#e0f7fa"}


def test_a_service_token_reads_no_users_colors(client, service, token_format):
    Color.objects.create(owner=UserFactory(username="bob"), name="Bob's red", hex="#ff0000")
    token = service_token(client, service, "colors:read")

    response = client.get("/api/colors/", **bearer(token))

    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="insufficient_scope"' in challenge
    assert "scope=" not in challenge.replace("insufficient_scope", "")  # no scope would help
    assert response.json()["error"] == "insufficient_scope"
    assert "Bob" not in response.content.decode()


def test_a_service_token_writes_no_color(client, service, token_format):
    token = service_token(client, service, "colors:read colors:write")

    response = client.post(
        "/api/colors/",
        {"name": "Sky", "hex": "#3366ff"},
        content_type="application/json",
        **bearer(token),
    )

    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert Color.objects.count() == 0


def test_palettes_need_colors_read(client, service):
    token = mint_access_token(user=None, app=service, scope="colors:write")

    response = client.get("/api/colors/palettes/", **bearer(token))

    assert response.status_code == 403
    assert 'scope="colors:read"' in response["WWW-Authenticate"]


def test_palettes_need_a_token(client):
    response = client.get("/api/colors/palettes/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_palettes_refuse_an_expired_token(client, service):
    token = mint_access_token(user=None, app=service, scope="colors:read", expires_in=-10)

    response = client.get("/api/colors/palettes/", **bearer(token))

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_palettes_are_read_only(client, service):
    token = mint_access_token(user=None, app=service, scope="colors:read colors:write")

    response = client.post(
        "/api/colors/palettes/", {"name": "x"}, content_type="application/json", **bearer(token)
    )

    assert response.status_code == 405


def test_a_users_token_reads_the_palettes_too(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")

    assert client.get("/api/colors/palettes/", **bearer(token)).status_code == 200
