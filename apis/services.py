"""What the sample Colors API changes."""

from apis.models import Color


def color_create(*, owner, name: str, hex: str) -> Color:
    """Save a color for ``owner``, the user who granted the token. Stored in lower case."""
    return Color.objects.create(owner=owner, name=name, hex=hex.lower())
