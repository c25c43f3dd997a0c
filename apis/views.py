from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from apis import palettes, services
from apis.models import Color
from apis.permissions import TokenHasOperationScope, TokenHasUser
from apis.serializers import ColorSerializer, PaletteSerializer


@extend_schema_view(
    get=extend_schema(
        summary="List your saved colors",
        description="The colors of the user the access token was issued for, oldest first. "
        "A token issued to an app alone (client credentials) is refused with 403 "
        "`insufficient_scope`: it acts for nobody, so it reads no one's colors.",
    ),
    post=extend_schema(
        summary="Save a new color",
        description='Save a named color, `{"name": "Sky", "hex": "#3366ff"}`, to the list of '
        "the user the access token was issued for.",
    ),
)
class ColorListCreateApi(generics.ListCreateAPIView):
    """The sample Colors API: the token's user reads and saves their colors. The scope each
    operation needs is the registry's (``apis/migrations/0006_colors_api_operations.py``)."""

    serializer_class = ColorSerializer
    permission_classes = [TokenHasOperationScope, TokenHasUser]

    def get_queryset(self):
        return Color.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.color_create(
            owner=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    get=extend_schema(
        summary="List the shared palettes",
        description="Public palettes that belong to no user. Any token with `colors:read` may "
        "read them, including a service's client-credentials token.",
        responses=PaletteSerializer(many=True),
    ),
)
class PaletteListApi(APIView):
    """Shared palettes: the part of the Colors API a service (no user on its token) may call."""

    # Its scope comes from the registry, as the colors' do (GET /palettes/ -> colors:read).
    permission_classes = [TokenHasOperationScope]

    def get(self, request):
        return Response(PaletteSerializer(palettes.palettes_shared(), many=True).data)
