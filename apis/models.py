from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class ApiResource(models.Model):
    """A protected API: its audience identifier (RFC 8707 resource) owns a set of scopes."""

    name = models.CharField(max_length=100, unique=True)
    identifier = models.URLField(
        unique=True, help_text="Audience identifier, e.g. https://api.example.test/colors"
    )
    description = models.TextField(blank=True, default="")
    base_path = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Where this server serves the API, e.g. /api/colors/. A token minted for "
        "another API's audience is refused here (RFC 8707).",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API"

    def __str__(self):
        return self.name


scope_name_validator = RegexValidator(
    r"^[\x21\x23-\x5b\x5d-\x7e]+$",
    "A scope name is printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3).",
)


class Scope(models.Model):
    """One permission an app may ask for, described in words the end user understands.

    OpenID Connect scopes (``openid``, ``profile``, ``email``) belong to no API.
    """

    name = models.CharField(max_length=100, unique=True, validators=[scope_name_validator])
    description = models.CharField(
        max_length=200, help_text='Shown on the consent page, e.g. "See your saved colors".'
    )
    api = models.ForeignKey(
        ApiResource, null=True, blank=True, on_delete=models.PROTECT, related_name="scopes"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["api__name", "name"]

    def __str__(self):
        return self.name


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
