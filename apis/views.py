from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from apis import services
from apis.models import Color
from apis.permissions import TokenHasOperationScope, TokenHasUser
from apis.serializers import ColorSerializer


@extend_schema_view(
    get=extend_schema(
        summary="List your saved colors",
        description="The colors of the user the access token was issued for, oldest first.",
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
