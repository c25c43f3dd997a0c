"""Run by ``manage.py shell`` in the authorization server's environment (never imported by the
tests): registers the APIs the external resource servers stand for, their resource-server
clients and a service that calls them, then prints JSON the tests read.

Orders and Stock take JWT access tokens; Billing keeps opaque ones (checked by introspection).
An expired token and an ID-token-typed JWT are signed here with the server's own current key:
the server never issues them on request, but an attacker may replay old ones.
"""

import json
import os

from joserfc import jwt
from joserfc.jwk import RSAKey

from oauth_portal.server import access_tokens, signing_keys
from oauth_portal.server.clients import application_register
from oauth_portal.server.models import ApiResource, Application, Scope

ISSUER = os.environ["SETUP_ISSUER"]
SECRETS = {
    "shop-backend": "shop-backend-secret-0123456789abcdef",
    "orders-gateway": "orders-gateway-secret-0123456789abcdef",
    "billing-gateway": "billing-gateway-secret-0123456789abcdef",
}
APIS = {
    "orders": ("Orders API", "https://orders.example.test", "jwt", ["orders:read", "orders:write"]),
    "stock": ("Stock API", "https://stock.example.test", "jwt", ["stock:read"]),
    "billing": ("Billing API", "api://billing", "opaque", ["billing:read"]),
}


def service(client_id: str) -> Application:
    app, _secret = application_register(
        owner=None,
        secret=SECRETS[client_id],
        name=client_id,
        client_id=client_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        redirect_uris="",
        algorithm="",
    )
    return app


apis = {}
for key, (name, identifier, token_format, scopes) in APIS.items():
    apis[key] = ApiResource.objects.create(
        name=name, identifier=identifier, access_token_format=token_format
    )
    for scope in scopes:
        Scope.objects.create(name=scope, description=f"{name}: {scope}", api=apis[key])
service("shop-backend")
apis["orders"].resource_servers.add(service("orders-gateway"))
apis["billing"].resource_servers.add(service("billing-gateway"))

claims = access_tokens.jwt_claims(
    issuer=ISSUER,
    user_id=None,
    client_id="shop-backend",
    audiences=["https://orders.example.test"],
    scope="orders:read",
    lifetime_seconds=3600,
)
expired = access_tokens.sign({**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600})
pem = signing_keys.current_private_key_pem()
kid, _key = access_tokens._private_key(pem)
id_token_typed = jwt.encode(
    {"alg": "RS256", "typ": "JWT", "kid": kid}, claims, RSAKey.import_key(pem)
)
print(json.dumps({"secrets": SECRETS, "expired": expired, "id_token_typed": id_token_typed}))
