"""The bench server's URLs: the project's own, plus two views without authentication.

The ceiling view is the same DRF view class with the bearer check switched off, so the ratio
between the two measures what authentication costs and nothing else. The open view is the
least a request through this project's middleware can cost (no database, no DRF): the yardstick
the targets are stated against.
"""

from django.conf import settings
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny

from apis.models import Color
from apis.views import ColorListCreateApi
from bench.scenarios import CEILING_PATH, OPEN_PATH


class ColorListNoAuthApi(ColorListCreateApi):
    """``GET /api/colors/`` minus authentication: the fixed bench user's colors, read-only."""

    authentication_classes = []
    permission_classes = [AllowAny]
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return Color.objects.filter(owner_id=settings.BENCH_CEILING_USER_ID)


def open_view(request):
    """A plain Django view: every middleware of the project runs, then nothing else does."""
    return JsonResponse({"open": True})


urlpatterns = [
    path(OPEN_PATH.lstrip("/"), open_view, name="bench-open"),
    path(CEILING_PATH.lstrip("/"), ColorListNoAuthApi.as_view(), name="bench-colors-noauth"),
    path("", include("oauth_portal.urls")),
]
