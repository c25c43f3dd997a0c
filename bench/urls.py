"""The bench server's URLs: the project's own, plus the Colors view without authentication.

The ceiling view is the same DRF view class with the bearer check switched off, so the ratio
between the two measures what authentication costs and nothing else.
"""

from django.conf import settings
from django.urls import include, path
from rest_framework.permissions import AllowAny

from apis.models import Color
from apis.views import ColorListCreateApi
from bench.scenarios import CEILING_PATH


class ColorListNoAuthApi(ColorListCreateApi):
    """``GET /api/colors/`` minus authentication: the fixed bench user's colors, read-only."""

    authentication_classes = []
    permission_classes = [AllowAny]
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return Color.objects.filter(owner_id=settings.BENCH_CEILING_USER_ID)


urlpatterns = [
    path(CEILING_PATH.lstrip("/"), ColorListNoAuthApi.as_view(), name="bench-colors-noauth"),
    path("", include("oauth_portal.urls")),
]
