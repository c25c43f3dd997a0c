"""The token rows our validator writes through compiled inserts (validator_token_rows.py) are
the rows django-oauth-toolkit's own methods write, field for field: a DOT upgrade that stores
something more fails here instead of being silently dropped. And the opaque tokens in them are
unguessable (access_tokens.random_token)."""

import base64
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.models import (
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from oauth_portal.server.oauth2_validators import PortalOAuth2Validator
from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db

# What differs between two rows written for two tokens: their keys, secrets and times.
OWN_TO_EACH_ROW = {"id", "token", "token_checksum", "created", "updated", "jti", "token_family"}


def token_request(user, app) -> Request:
    request = Request(
        "https://testserver/o/token/", http_method="POST", headers={"HTTP_HOST": "testserver"}
    )
    request.user, request.client = user, app
    request.scope, request.scopes = None, ["openid", "colors:read"]
    request.resource = ["https://api.example.test/colors"]
    return request


def row(obj) -> dict:
    stored = type(obj).objects.filter(pk=obj.pk).values().get()
    return {key: value for key, value in stored.items() if key not in OWN_TO_EACH_ROW}


@pytest.fixture
def validators():
    return OAuth2Validator(), PortalOAuth2Validator()


def test_the_id_token_row_is_dots(user, app, validators):
    expires = timezone.now() + timedelta(hours=1)
    rows = [
        validator._save_id_token(uuid.uuid4(), token_request(user, app), expires)
        for validator in validators
    ]

    dots, ours = (row(each) for each in rows)
    assert ours == dots
    assert rows[1].pk is not None and rows[1]._state.adding is False


def test_the_access_token_row_is_dots(user, app, validators):
    expires = timezone.now() + timedelta(hours=1)
    made = []
    for validator in validators:
        token = {"access_token": uuid.uuid4().hex, "scope": "openid colors:read"}
        made.append(validator._create_access_token(expires, token_request(user, app), token))

    dots, ours = (row(each) for each in made)
    assert ours == dots
    assert ours["resource"] == ["https://api.example.test/colors"]
    assert get_access_token_model().objects.get(pk=made[1].pk).token_checksum == (
        made[1].token_checksum
    )


def test_the_refresh_token_row_is_dots_and_keeps_its_family(user, app, validators):
    expires = timezone.now() + timedelta(hours=1)
    made = []
    for validator in validators:
        request = token_request(user, app)
        token = {"access_token": uuid.uuid4().hex, "scope": "openid colors:read"}
        access = validator._create_access_token(expires, request, token)
        first = validator._create_refresh_token(request, uuid.uuid4().hex, access, None)
        second = validator._create_refresh_token(request, uuid.uuid4().hex, None, first)
        made.append((first, second))

    (dots_first, dots_second), (our_first, our_second) = made
    assert {**row(our_first), "access_token_id": None} == {
        **row(dots_first),
        "access_token_id": None,
    }
    assert row(our_second) == row(dots_second)
    assert our_second.token_family == our_first.token_family
    stored = get_refresh_token_model().objects.get(pk=our_first.pk)
    assert stored.access_token_id == our_first.access_token_id is not None
    assert get_id_token_model().objects.count() == 0


def test_opaque_tokens_carry_256_random_bits(signed_in, app):
    issued = []
    for _ in range(3):
        code, verifier = get_code(signed_in, app, scope="openid colors:read", prompt="consent")
        body = redeem(signed_in, app, code, verifier).json()
        issued += [body["access_token"], body["refresh_token"]]

    assert len(set(issued)) == len(issued)
    for token in issued:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
        assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_an_rs256_id_token_is_the_one_dot_signs(client, user, app):
    """Our signing path (validator_id_tokens) against DOT's own finalize_id_token, both verified
    with the published keys: same header, same claims but the token's own, and a row each."""
    jwks = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    validator = PortalOAuth2Validator()
    made = []
    for finalize in (OAuth2Validator.finalize_id_token, PortalOAuth2Validator.finalize_id_token):
        request = token_request(user, app)
        request.nonce, request.grant_type = "n-0S6_WzA2Mj", "authorization_code"
        token = {"access_token": uuid.uuid4().hex, "scope": "openid"}
        signed = finalize(validator, {}, token, None, request)
        verified = jwt.JWT(jwt=signed, key=jwks, algs=["RS256"])
        claims = json.loads(verified.claims)
        made.append((json.loads(verified.token.objects["protected"]), claims, request.id_token))

    (dots_header, dots_claims, dots_row), (our_header, our_claims, our_row) = made
    assert our_header == dots_header
    assert our_header["typ"] == "JWT" and our_header["kid"]
    own = {"jti", "iat", "exp", "auth_time"}
    assert {k: v for k, v in our_claims.items() if k not in own} == {
        k: v for k, v in dots_claims.items() if k not in own
    }
    assert our_claims["nonce"] == "n-0S6_WzA2Mj"
    assert str(our_row.jti) == our_claims["jti"] and str(dots_row.jti) == dots_claims["jti"]
    assert {**row(our_row), "expires": None} == {**row(dots_row), "expires": None}
    assert int(our_row.expires.timestamp()) == our_claims["exp"]
