"""The server's URLs that must sit at the site's root, not under ``/o/``: RFC 8414 and RFC 9728
well-known documents, liveness and readiness, and Prometheus metrics. A site includes them
with one line: ``path("", include("oauth_portal.server.root_urls"))``."""

from django.urls import path

from oauth_portal.observability.views import MetricsView
from oauth_portal.server.health import LivenessView, ReadinessView
from oauth_portal.server.views import OAuthServerMetadataView
from oauth_portal.server.views.resource_metadata import ProtectedResourceMetadataView

urlpatterns = [
    # RFC 8414 §3: the metadata for issuer https://host/o lives at
    # https://host/.well-known/oauth-authorization-server/o
    path(
        ".well-known/oauth-authorization-server/<path:issuer_path>",
        OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata-issuer",
    ),
    # RFC 9728: each API's metadata, at its served path or its identifier's path on this host
    # (oauth_portal/server/resource_metadata.py).
    path(
        ".well-known/oauth-protected-resource/<path:resource_path>",
        ProtectedResourceMetadataView.as_view(),
        name="oauth-protected-resource-metadata",
    ),
    path("health/live", LivenessView.as_view(), name="health-live"),
    path("health/ready", ReadinessView.as_view(), name="health-ready"),
    path("metrics", MetricsView.as_view(), name="metrics"),
]
