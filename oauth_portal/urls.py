from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from oauth_portal.server.views import OAuthServerMetadataView
from oauth_portal.views import DemoCallbackView, HealthView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False)),
    path("o/", include("oauth_portal.server.urls")),
    # RFC 8414 §3: the metadata for issuer https://host/o lives at
    # https://host/.well-known/oauth-authorization-server/o
    path(
        ".well-known/oauth-authorization-server/<path:issuer_path>",
        OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata-issuer",
    ),
    path("accounts/two-step/", include("oauth_portal.mfa.urls")),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("oauth_portal.portal.urls")),
    path("api/", include("apis.urls")),
    path("admin/", admin.site.urls),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("demo/callback", DemoCallbackView.as_view(), name="demo-callback"),
]
