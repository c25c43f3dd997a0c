"""The OAuth 2.0 / OpenID Connect endpoints under /o/, in DOT's ``oauth2_provider`` namespace.

Our view subclasses replace DOT's where we add a rule; the rest are DOT's own. DOT's
application-management pages (/o/applications/) are deliberately not mounted: the portal is ours.
"""

from django.urls import path, re_path

from oauth_portal.server import views

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", views.IntrospectTokenView.as_view(), name="introspect"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", views.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("logout/", views.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
    # RFC 7591 registration and RFC 7592 management, under DOT's URL names.
    path("register/", views.RegistrationView.as_view(), name="dcr-register"),
    path(
        "register/<str:client_id>/",
        views.RegistrationManagementView.as_view(),
        name="dcr-register-management",
    ),
    # The device flow (RFC 8628): DOT's URL names for the endpoint and the verification page.
    path(
        "device-authorization/",
        views.DeviceAuthorizationView.as_view(),
        name="device-authorization",
    ),
    path("device/", views.DeviceVerificationView.as_view(), name="device"),
    path("device/decide/", views.DeviceDecisionView.as_view(), name="device-decide"),
    # RFC 8414 fallback form (issuer + /.well-known/oauth-authorization-server); the root form
    # is mounted in oauth_portal/urls.py.
    path(
        ".well-known/oauth-authorization-server",
        views.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]
