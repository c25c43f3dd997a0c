"""Our OIDC_SERVER_CLASS: oauthlib's OpenID Connect server, cut down to what we support.

- PKCE: oauthlib accepts ``plain`` (and treats a missing method as ``plain``). DOT's RFC 9700
  gate only refuses ``plain`` after the user has consented; removing the method here refuses it
  at the authorization request, before any page is shown (RFC 9700 §2.1.1).
- Grants: authorization code, refresh token and client credentials. The password and device
  grants are not registered, so they get ``unsupported_grant_type`` instead of reaching
  client or user authentication; only ``code`` is a known response type (no implicit/hybrid).
"""

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

S256_ONLY = {"S256": code_challenge_method_s256}
SUPPORTED_GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
SUPPORTED_RESPONSE_TYPES = ("code",)


class PortalServer(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant._code_challenge_methods = S256_ONLY
        self.openid_connect_auth.proxy_target._code_challenge_methods = S256_ONLY
        self._grant_types = {
            name: grant
            for name, grant in self._grant_types.items()
            if name in SUPPORTED_GRANT_TYPES
        }
        self._response_types = {
            name: grant
            for name, grant in self._response_types.items()
            if name in SUPPORTED_RESPONSE_TYPES
        }
