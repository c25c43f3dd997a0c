"""Helpers the signing-key tests share: the published key set and what it verifies."""

from django.test import Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


def published_jwks() -> dict:
    response = Client().get("/o/.well-known/jwks.json")
    assert response.status_code == 200
    return response.json()


def published_kids() -> list[str]:
    return [key["kid"] for key in published_jwks()["keys"]]


def kid_of(id_token: str) -> str:
    return jwt.decode(id_token, KeySet.import_key_set(published_jwks())).header["kid"]


def verifies(id_token: str) -> bool:
    try:
        jwt.decode(id_token, KeySet.import_key_set(published_jwks()), algorithms=["RS256"])
    except (JoseError, ValueError):
        return False
    return True
