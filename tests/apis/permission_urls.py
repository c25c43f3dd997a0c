"""Our site's URLs plus two test views under the Colors API's base path that require a
permission, as a host's own API would: one with ``RequirePermission``, one by HTTP method."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from apis.permissions import RequirePermission, TokenHasMethodPermission, TokenHasMethodScope
from oauth_portal.urls import urlpatterns as site_urlpatterns


class PaletteAdminApi(APIView):
    permission_classes = [RequirePermission("colors:write")]

    def get(self, request):
        return Response({"palette": "admin"})


class PaletteApi(APIView):
    permission_classes = [TokenHasMethodScope, TokenHasMethodPermission]
    required_scopes_by_method = {"GET": ["colors:read"], "POST": ["colors:read"]}
    required_permissions_by_method = {"POST": ["colors:write"]}

    def get(self, request):
        return Response({"palette": []})

    def post(self, request):
        return Response({"saved": True}, status=201)


urlpatterns = [
    path("api/colors/palette-admin/", PaletteAdminApi.as_view()),
    path("api/colors/palette/", PaletteApi.as_view()),
    *site_urlpatterns,
]
