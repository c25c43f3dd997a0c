"""Our OIDC_SERVER_CLASS: oauthlib's OpenID Connect server, cut down to what we support.

- PKCE: oauthlib accepts ``plain`` (and treats a missing method as ``plain``). DOT's RFC 9700
  gate only refuses ``plain`` after the user has consented; removing the method here refuses it
  at the authorization request, before any page is shown (RFC 9700 §2.1.1).
- Grants: authorization code, refresh token, client credentials and the device grant (RFC
  8628, whose polling rules are ``device_flow.device_grant_poll``). The password grant is not
  registered, so it gets ``unsupported_grant_type`` instead of reaching client or user
  authentication; only ``code`` is a known response type (no implicit/hybrid).
"""

from oauthlib.oauth2 import DeviceApplicationServer
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256
from oauthlib.openid import Server

from oauth_portal.server import app_settings, device_flow

S256_ONLY = {"S256": code_challenge_method_s256}
SUPPORTED_GRANT_TYPES = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    device_flow.DEVICE_CODE_GRANT_TYPE,
)
SUPPORTED_RESPONSE_TYPES = ("code",)

# The ``grant_type`` each of DOT's Application.authorization_grant_type values lets a client
# send. Implicit and hybrid send none (they are response types, and only ``code`` is one here).
# Forms offer an app only the types whose grant is in SUPPORTED_GRANT_TYPES, the one list.
GRANT_TYPE_SENT_BY_APPLICATION_GRANT = {
    "authorization-code": "authorization_code",
    "client-credentials": "client_credentials",
    "password": "password",
    "urn:ietf:params:oauth:grant-type:device_code": "urn:ietf:params:oauth:grant-type:device_code",
}


def application_grant_type_choices(choices) -> list[tuple[str, str]]:
    """The (value, label) pairs of DOT's grant-type choices that this server accepts."""
    return [
        (value, label)
        for value, label in choices
        if GRANT_TYPE_SENT_BY_APPLICATION_GRANT.get(value) in SUPPORTED_GRANT_TYPES
    ]


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
        # Ours instead of DOT's OAUTH_PRE_TOKEN_VALIDATION (which looks the plain code up).
        self.device_code_grant.custom_validators.pre_token = [device_flow.device_grant_poll]


class PortalDeviceServer(DeviceApplicationServer):
    """The device authorization endpoint's server, with our code lifetime: oauthlib's default
    is 30 minutes and DOT passes no setting for it."""

    @property
    def expires_in(self) -> int:
        return app_settings.PORTAL_DEVICE_CODE_EXPIRE_SECONDS
