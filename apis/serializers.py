from rest_framework import serializers

from apis.models import Color


class ColorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, allow_blank=False, trim_whitespace=True)
    hex = serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$",
        error_messages={"invalid": 'Enter a color as "#rrggbb", for example "#3366ff".'},
    )

    class Meta:
        model = Color
        fields = ["id", "name", "hex", "created"]
        read_only_fields = ["id", "created"]


class PaletteColorSerializer(serializers.Serializer):
    name = serializers.CharField()
    hex = serializers.CharField()


class PaletteSerializer(serializers.Serializer):
    """A shared palette (read-only; see ``apis.palettes``)."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    colors = PaletteColorSerializer(many=True)
