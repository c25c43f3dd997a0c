"""RFC 9068 JWT access tokens for an API that chooses them: what a client, an API and an attacker
see. Opaque tokens stay the default (tests/apis/test_bearer_cache.py)."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time
from joserfc import jwt
from joserfc.jwk import KeySet

from oauth_portal.server import clients, key_rotation, tokens
from oauth_portal.server.models import ApiResource, Scope
from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, get_code, redeem, token_request

pytestmark = pytest.mark.django_db
COLORS = "https://api.example.test/colors"


def header_of(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims_verified_with_jwks(client, token: str) -> dict:
    keys = KeySet.import_key_set(client.get("/o/.well-known/jwks.json").json())
    return jwt.decode(token, keys, algorithms=["RS256"]).claims


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_jwt_api_gets_an_rfc9068_token_a_relying_party_can_verify(client, jwt_tokens, app, user):
    token = jwt_tokens["access_token"]

    assert header_of(token)["typ"] == "at+jwt"
    claims = claims_verified_with_jwks(client, token)
    assert claims["iss"] == "http://testserver/o"
    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == COLORS
    assert claims["client_id"] == app.client_id
    assert claims["scope"] == "openid colors:read colors:write"
    assert claims["exp"] - claims["iat"] == 3600
    assert len(claims["jti"]) >= 22


def test_the_api_accepts_it_without_a_database_query_for_the_token(
    client, jwt_tokens, django_assert_num_queries
):
    api_get(client, jwt_tokens["access_token"])  # the first request may read the signing keys

    with django_assert_num_queries(1):  # the colors themselves
        response = api_get(client, jwt_tokens["access_token"])

    assert response.status_code == 200


def test_a_revoked_jwt_is_refused_at_once(client, jwt_tokens, app):
    token = jwt_tokens["access_token"]
    assert api_get(client, token).status_code == 200

    revoked = client.post(
        "/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )

    assert revoked.status_code == 200
    response = api_get(client, token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("how", ["consent withdrawn", "app suspended", "refreshed"])
def test_a_jwt_dies_with_its_grant(client, signed_in, jwt_tokens, app, user, how):
    token = jwt_tokens["access_token"]
    assert api_get(client, token).status_code == 200

    if how == "consent withdrawn":
        tokens.tokens_revoke(application=app, user=user)
    elif how == "app suspended":
        clients.application_suspend(application=app, reason="abuse", actor=None)
    else:
        refreshed = token_request(
            client,
            app,
            {"grant_type": "refresh_token", "refresh_token": jwt_tokens["refresh_token"]},
        )
        assert refreshed.status_code == 200
        assert api_get(client, refreshed.json()["access_token"]).status_code == 200

    assert api_get(client, token).status_code == 401


def test_introspection_describes_a_jwt_like_any_token(client, jwt_tokens, app, user):
    body = client.post(
        "/o/introspect/",
        {"token": jwt_tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    ).json()

    assert body["active"] is True
    assert body["client_id"] == app.client_id
    assert body["scope"] == "openid colors:read colors:write"
    assert body["aud"] in (COLORS, [COLORS])


def test_userinfo_accepts_a_jwt_access_token(client, jwt_tokens, user):
    response = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {jwt_tokens['access_token']}")

    assert response.status_code == 200
    assert response.json()["sub"] == str(user.pk)


def test_an_expired_jwt_is_refused(client, jwt_tokens):
    with freeze_time(timezone.now() + timedelta(seconds=3601)):
        response = api_get(client, jwt_tokens["access_token"])

    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


def forged(token: str, *, header: dict | None = None, claims: dict | None = None) -> str:
    head, body, signature = token.split(".")

    def encode(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    def decode(part):
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    head = encode({**decode(head), **header}) if header is not None else head
    body = encode({**decode(body), **claims}) if claims is not None else body
    return f"{head}.{body}.{signature}"


@pytest.mark.parametrize(
    "tamper",
    [
        {"claims": {"scope": "colors:read colors:write admin"}},
        {"claims": {"sub": "1"}},
        {"header": {"alg": "none"}},
        {"header": {"alg": "HS256"}},
        {"header": {"kid": "someone-elses-key"}},
    ],
    ids=["widened-scope", "other-subject", "alg-none", "alg-hs256", "unknown-kid"],
)
def test_a_tampered_jwt_is_refused(client, jwt_tokens, tamper):
    response = api_get(client, forged(jwt_tokens["access_token"], **tamper))

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_an_id_token_cannot_pass_for_an_access_token(client, jwt_tokens):
    """Same keys, same issuer: only ``typ: at+jwt`` and the audience tell them apart."""
    response = api_get(client, jwt_tokens["id_token"])

    assert response.status_code == 401


def test_a_jwt_for_another_api_is_refused(signed_in, app, colors_uses_jwt):
    other = ApiResource.objects.create(
        name="Other",
        identifier="https://api.example.test/other",
        base_path="/api/other/",
        access_token_format=ApiResource.TokenFormat.JWT,
    )
    Scope.objects.create(name="other:read", description="Other things", api=other)
    code, verifier = get_code(
        signed_in, app, scope="colors:read other:read", resource=other.identifier
    )
    token = redeem(signed_in, app, code, verifier).json()["access_token"]

    assert header_of(token)["typ"] == "at+jwt"
    response = api_get(signed_in, token)
    assert response.status_code == 401
    assert "not valid for this resource" in response.json()["error_description"]


def test_a_client_credentials_jwt_names_the_client_as_subject(client, colors_uses_jwt):
    service = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )

    response = token_request(
        client, service, {"grant_type": "client_credentials", "scope": "colors:read"}
    )

    claims = claims_verified_with_jwks(client, response.json()["access_token"])
    assert claims["sub"] == claims["client_id"] == service.client_id
    refused = api_get(client, response.json()["access_token"])
    assert refused.status_code == 403  # the Colors API acts for a user


def test_opaque_stays_the_default(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    token = redeem(signed_in, app, code, verifier).json()["access_token"]

    assert "." not in token


def test_a_token_for_no_api_stays_opaque_even_when_apis_use_jwt(signed_in, app, colors_uses_jwt):
    code, verifier = get_code(signed_in, app, scope="openid profile")
    token = redeem(signed_in, app, code, verifier).json()["access_token"]

    assert "." not in token


def test_a_jwt_signed_before_a_key_rotation_still_verifies(client, jwt_tokens):
    key_rotation.signing_key_rotate(actor=None)

    assert api_get(client, jwt_tokens["access_token"]).status_code == 200


# Each process remembers the tokens whose signature it has checked (access_tokens.py); a token
# accepted once must still be refused for every reason it would have been refused the first time.
def test_a_jwt_accepted_once_is_refused_once_its_signing_key_is_revoked(client, jwt_tokens):
    token = jwt_tokens["access_token"]
    assert api_get(client, token).status_code == 200

    key_rotation.signing_key_revoke(kid=header_of(token)["kid"])

    assert api_get(client, token).status_code == 401


def test_a_jwt_accepted_once_is_refused_once_it_expires(client, jwt_tokens):
    token = jwt_tokens["access_token"]
    assert api_get(client, token).status_code == 200

    with freeze_time(timezone.now() + timedelta(seconds=3601)):
        response = api_get(client, token)

    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


@pytest.mark.parametrize(
    "tamper",
    [
        {"claims": {"scope": "colors:read colors:write admin"}},
        {"claims": {"aud": "https://api.example.test/other"}},
    ],
    ids=["widened-scope", "other-audience"],
)
def test_a_jwt_accepted_once_lends_its_signature_to_no_other_token(client, jwt_tokens, tamper):
    token = jwt_tokens["access_token"]
    assert api_get(client, token).status_code == 200

    response = api_get(client, forged(token, **tamper))

    assert response.status_code == 401


def test_a_jwt_whose_signature_was_altered_after_it_was_accepted_is_refused(client, jwt_tokens):
    token = jwt_tokens["access_token"]
    assert api_get(client, token).status_code == 200
    head, body, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]

    assert api_get(client, f"{head}.{body}.{flipped}").status_code == 401
