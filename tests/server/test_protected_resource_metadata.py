"""RFC 9728: every API in the registry publishes protected-resource metadata, and our APIs'
401 answers point to it (``resource_metadata`` in ``WWW-Authenticate``), with the RFC 6750
challenge otherwise exactly as before."""

import re

import pytest

from tests.factories import ApiResourceFactory, ScopeFactory
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db

COLORS_METADATA = "/.well-known/oauth-protected-resource/api/colors"


def challenge_params(challenge: str) -> dict[str, str]:
    """The auth-params of a ``Bearer`` challenge, as an RFC 9728-aware client parses them."""
    assert challenge.startswith("Bearer")
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', challenge))


def test_unauthenticated_call_leads_to_resource_metadata_and_to_us(client):
    """The discovery chain an RFC 9728 client follows: 401 -> metadata -> AS metadata."""
    response = client.get("/api/colors/")
    assert response.status_code == 401
    params = challenge_params(response["WWW-Authenticate"])
    assert "error" not in params  # RFC 6750 §3.1: no error code when no token was sent
    assert params["resource_metadata"] == f"http://testserver{COLORS_METADATA}"

    metadata = client.get(params["resource_metadata"].removeprefix("http://testserver"))
    assert metadata.status_code == 200
    document = metadata.json()
    assert document["resource"] == "https://api.example.test/colors"
    assert document["scopes_supported"] == ["colors:read", "colors:write"]
    assert document["bearer_methods_supported"] == ["header"]
    assert document["resource_documentation"] == "http://testserver/portal/apis/"
    assert metadata["Access-Control-Allow-Origin"] == "*"

    (issuer,) = document["authorization_servers"]
    assert issuer == "http://testserver/o"
    # RFC 8414 §3: issuer https://host/o -> https://host/.well-known/oauth-authorization-server/o
    as_metadata = client.get("/.well-known/oauth-authorization-server/o").json()
    assert as_metadata["issuer"] == issuer
    assert as_metadata["token_endpoint"] == "http://testserver/o/token/"


def test_bad_token_keeps_invalid_token_and_adds_resource_metadata(client):
    response = client.get("/api/colors/", HTTP_AUTHORIZATION="Bearer made-up-token")
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api",error="invalid_token"')
    assert challenge_params(challenge)["resource_metadata"].endswith(COLORS_METADATA)
    assert response.json()["error"] == "invalid_token"


def test_insufficient_scope_answer_is_unchanged(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    response = client.post(
        "/api/colors/",
        {"name": "Sky", "hex": "#3366ff"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api",error="insufficient_scope",scope="colors:write"'
    )


def test_api_whose_identifier_is_on_this_host_answers_at_the_identifier_path(client):
    api = ApiResourceFactory(name="Orders", identifier="http://testserver/orders")
    ScopeFactory(name="orders:read", api=api)
    ScopeFactory(name="orders:archive", api=api, is_active=False)

    document = client.get("/.well-known/oauth-protected-resource/orders").json()

    assert document["resource"] == "http://testserver/orders"
    assert document["resource_name"] == "Orders"
    assert document["scopes_supported"] == ["orders:read"]  # disabled scopes are not offered


def test_api_named_on_another_host_is_not_described_at_its_identifier_path(client):
    ApiResourceFactory(identifier="https://elsewhere.example.test/billing")
    response = client.get("/.well-known/oauth-protected-resource/billing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("path", ["nothing/here", "api", "api/colors/extra"])
def test_unknown_resource_path_is_404_json(client, path):
    response = client.get(f"/.well-known/oauth-protected-resource/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
