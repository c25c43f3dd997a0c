from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from oauth_portal.views import DemoCallbackView, HealthView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False)),
    path("o/", include("oauth_portal.server.urls")),
    # Well-known documents, health and metrics at the root (oauth_portal/server/root_urls.py).
    path("", include("oauth_portal.server.root_urls")),
    path("accounts/two-step/", include("oauth_portal.mfa.urls")),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("oauth_portal.portal.urls")),
    path("api/", include("apis.urls")),
    path("admin/", admin.site.urls),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("demo/callback", DemoCallbackView.as_view(), name="demo-callback"),
]
