"""The settings give DOT no signing key: ``OIDC_RSA_PRIVATE_KEY`` stays unset, and the keys in
the database reach DOT through its hooks (``Application.jwk_key``, our JWKS view, the metadata
views), so ID tokens are signed and verifiable all the same."""

import json
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings

from oauth_portal.server.models import Application, SigningKey
from tests.oauth_helpers import get_code, redeem
from tests.server.test_health_and_discovery import DISCOVERY_PATH, RFC8414_PATH, jose_header
from tests.site.settings_helpers import PROJECT_ROOT, clean_env

pytestmark = pytest.mark.django_db


def test_the_settings_block_names_no_signing_key_and_imports_no_key_code():
    script = (
        "import sys\n"
        "from oauth_portal.server import defaults\n"
        "assert not [n for n in defaults.OAUTH2_PROVIDER if n.startswith('OIDC_RSA')]\n"
        "assert 'oauth_portal.server.signing_keys' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def without_rsa_setting(settings):
    settings.OAUTH2_PROVIDER = {
        name: value
        for name, value in settings.OAUTH2_PROVIDER.items()
        if not name.startswith("OIDC_RSA")
    }
    assert oauth2_settings.OIDC_RSA_PRIVATE_KEY == ""
    assert oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE == []


def test_without_the_setting_the_jwks_serves_the_current_key_and_id_tokens_verify(
    without_rsa_setting, client, user, app
):
    client.force_login(user)
    code, verifier = get_code(client, app)
    id_token = redeem(client, app, code, verifier).json()["id_token"]

    response = client.get("/o/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")
    assert response["Access-Control-Allow-Origin"] == "*"
    current = SigningKey.objects.get(is_current=True)
    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == [current.kid]
    assert (keys[0]["alg"], keys[0]["use"], keys[0]["kty"]) == ("RS256", "sig", "RSA")
    assert "d" not in keys[0]
    assert jose_header(id_token)["kid"] == current.kid
    published = jwk.JWKSet.from_json(response.content).get_key(current.kid)
    claims = json.loads(jwt.JWT(jwt=id_token, key=published, algs=["RS256"]).claims)
    assert claims["aud"] == app.client_id


def test_without_the_setting_both_metadata_documents_list_the_jwks_and_rs256(
    without_rsa_setting, client
):
    discovery = client.get(DISCOVERY_PATH).json()
    metadata = client.get(RFC8414_PATH).json()

    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert discovery["jwks_uri"] == "http://testserver/o/.well-known/jwks.json"
    assert metadata["jwks_uri"] == discovery["jwks_uri"]


def test_without_the_setting_createapplication_makes_an_rs256_app(without_rsa_setting, user):
    call_command(
        "createapplication",
        "confidential",
        "client-credentials",
        "--name=rs256-app",
        "--algorithm=RS256",
        f"--user={user.pk}",
    )

    application = Application.objects.get(name="rs256-app")
    assert application.algorithm == "RS256"
    assert application.jwk_key.thumbprint() == SigningKey.objects.get(is_current=True).kid


def test_clean_still_refuses_what_dot_refuses_about_the_algorithm(without_rsa_setting, user):
    application = Application(
        name="public-hs256",
        user=user,
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://client.example.com/callback",
        algorithm=Application.HS256_ALGORITHM,
    )

    with pytest.raises(ValidationError) as refused:
        application.clean()
    assert "You cannot use HS256 with public grants or clients" in str(
        refused.value.message_dict["algorithm"]
    )
