"""Our subclasses of DOT's protocol views, each adding one rule DOT leaves open.

They are wired in ``oauth_portal/oauth_urls.py`` under DOT's ``oauth2_provider`` namespace, so
DOT's URL names keep working."""

from oauth_portal.server.views.authorize import AuthorizationView
from oauth_portal.server.views.common import authorize_error_page, labelled_as_json
from oauth_portal.server.views.device import (
    DeviceAuthorizationView,
    DeviceDecisionView,
    DeviceVerificationView,
)
from oauth_portal.server.views.oidc import (
    ConnectDiscoveryInfoView,
    JwksInfoView,
    OAuthServerMetadataView,
    RPInitiatedLogoutView,
    UserInfoView,
)
from oauth_portal.server.views.registration import (
    RegistrationManagementView,
    RegistrationView,
)
from oauth_portal.server.views.token import IntrospectTokenView, RevokeTokenView, TokenView

__all__ = [
    "AuthorizationView",
    "ConnectDiscoveryInfoView",
    "DeviceAuthorizationView",
    "DeviceDecisionView",
    "DeviceVerificationView",
    "IntrospectTokenView",
    "JwksInfoView",
    "OAuthServerMetadataView",
    "RPInitiatedLogoutView",
    "RegistrationManagementView",
    "RegistrationView",
    "RevokeTokenView",
    "TokenView",
    "UserInfoView",
    "authorize_error_page",
    "labelled_as_json",
]
