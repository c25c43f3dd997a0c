"""Our OIDC_SERVER_CLASS: oauthlib's OpenID Connect server with PKCE limited to S256.

oauthlib accepts ``plain`` PKCE (and treats a missing method as ``plain``) unless told otherwise.
DOT's RFC 9700 gate only refuses ``plain`` after the user has consented; removing the method
here refuses it at the authorization request, before any page is shown (RFC 9700 §2.1.1).
"""

from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

S256_ONLY = {"S256": code_challenge_method_s256}


class PortalServer(Server):
    def __init__(self, request_validator, *args, **kwargs):
        super().__init__(request_validator, *args, **kwargs)
        self.auth_grant._code_challenge_methods = S256_ONLY
        self.openid_connect_auth.proxy_target._code_challenge_methods = S256_ONLY
