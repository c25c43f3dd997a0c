from django.urls import include, path
from host.urls import urlpatterns as host_urlpatterns

urlpatterns = [
    *host_urlpatterns,
    path("accounts/two-step/", include("oauth_portal.mfa.urls")),
]
