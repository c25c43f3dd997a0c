import base64
import json
from urllib.parse import urlsplit

import pytest
from django.db import OperationalError, connection
from jwcrypto import jwk, jwt

from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db

DISCOVERY_PATH = "/o/.well-known/openid-configuration"
RFC8414_PATH = "/.well-known/oauth-authorization-server/o"


def jose_header(compact_jwt: str) -> dict:
    encoded = compact_jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- /healthz ------------------------------------------------------------------------------------


def test_health_reports_ok_when_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_health_reports_503_when_database_is_unreachable(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["database"] == "unreachable"
    assert response.json()["status"] != "ok"


# --- OpenID Connect discovery --------------------------------------------------------------------


def test_discovery_issuer_is_the_url_prefix_of_the_document(client):
    response = client.get(DISCOVERY_PATH)

    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == "http://testserver/o"
    assert document["authorization_endpoint"] == "http://testserver/o/authorize/"
    assert document["token_endpoint"] == "http://testserver/o/token/"


def test_discovery_issuer_follows_the_host_the_server_is_reached_on(client):
    response = client.get(DISCOVERY_PATH, HTTP_HOST="localhost:8123")

    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == "http://localhost:8123/o"
    assert document["jwks_uri"] == "http://localhost:8123/o/.well-known/jwks.json"


def test_discovery_lists_revocation_and_introspection_endpoints(client):
    document = client.get(DISCOVERY_PATH).json()

    assert document["revocation_endpoint"] == "http://testserver/o/revoke_token/"
    assert document["introspection_endpoint"] == "http://testserver/o/introspect/"
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]


def test_discovery_advertises_only_code_flow_with_s256_and_rs256(client):
    document = client.get(DISCOVERY_PATH).json()

    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "authorization_code" in document["grant_types_supported"]
    assert "implicit" not in document["grant_types_supported"]
    assert "password" not in document["grant_types_supported"]


def test_jwks_publishes_the_key_that_signed_an_id_token(client, user, app):
    client.force_login(user)
    code, verifier = get_code(client, app)
    tokens = redeem(client, app, code, verifier).json()
    kid = jose_header(tokens["id_token"])["kid"]

    jwks_uri = client.get(DISCOVERY_PATH).json()["jwks_uri"]
    response = client.get(path_of(jwks_uri))

    assert response.status_code == 200
    keys = response.json()["keys"]
    assert kid in [key["kid"] for key in keys]
    published = jwk.JWKSet.from_json(response.content).get_key(kid)
    claims = json.loads(jwt.JWT(jwt=tokens["id_token"], key=published, algs=["RS256"]).claims)
    assert claims["aud"] == app.client_id
    assert claims["iss"] == "http://testserver/o"
    assert all("d" not in key for key in keys)  # public halves only


@pytest.mark.parametrize("path", [DISCOVERY_PATH, "/o/.well-known/jwks.json", RFC8414_PATH])
def test_public_metadata_documents_are_readable_from_any_origin(client, path):
    response = client.get(path, HTTP_ORIGIN="https://any-site.example")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


# --- RFC 8414 authorization server metadata ------------------------------------------------------


@pytest.mark.parametrize("host", ["testserver", "localhost:8123"])
def test_rfc8414_metadata_issuer_equals_openid_issuer(client, host):
    oidc = client.get(DISCOVERY_PATH, HTTP_HOST=host).json()
    response = client.get(RFC8414_PATH, HTTP_HOST=host)

    assert response.status_code == 200
    metadata = response.json()
    assert metadata["issuer"] == oidc["issuer"]
    assert metadata["token_endpoint"] == oidc["token_endpoint"]
    assert metadata["revocation_endpoint"] == oidc["revocation_endpoint"]
    assert metadata["introspection_endpoint"] == oidc["introspection_endpoint"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]


def test_rfc8414_metadata_does_not_offer_unauthenticated_introspection(client):
    metadata = client.get(RFC8414_PATH).json()

    assert "none" not in metadata["introspection_endpoint_auth_methods_supported"]


def test_rfc8414_metadata_for_another_issuer_is_not_found(client):
    response = client.get("/.well-known/oauth-authorization-server/some-other-tenant")

    assert response.status_code == 404
