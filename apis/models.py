"""The sample Colors API's data."""

from django.conf import settings
from django.db import models


class Color(models.Model):
    """The sample Colors API's data: a named color saved by a user."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="colors"
    )
    name = models.CharField(max_length=100)
    hex = models.CharField(max_length=7)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.name} ({self.hex})"
