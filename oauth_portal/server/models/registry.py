from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from oauth2_provider.settings import oauth2_settings


def validate_resource_identifier(value: str) -> None:
    """An RFC 8707 resource indicator: an absolute URI with a host, no user info, no fragment
    (DOT's own check of a ``resource``, so whatever is registered can be asked for)."""
    # DOT's validators module imports its models: import it once the models are loaded.
    from oauth2_provider.oauth2_validators import is_valid_resource_uri

    if not is_valid_resource_uri(value):
        raise ValidationError(
            "%(value)s is not an absolute URI with a host (like https://api.example.com/orders "
            "or api://orders), without a fragment or user name.",
            code="invalid_resource_identifier",
            params={"value": value},
        )


class ApiResource(models.Model):
    """A protected API: its audience identifier (RFC 8707 resource) owns a set of scopes.

    ``access_token_format`` decides what a token minted for this API alone looks like: an
    opaque random string checked against the database (the default), or an RFC 9068 JWT that
    the API verifies with the server's public keys (see ``oauth_portal/server/access_tokens.py``).
    ``resource_servers`` are the clients an admin trusts to introspect this API's tokens.
    """

    class TokenFormat(models.TextChoices):
        OPAQUE = "opaque", "Opaque (checked against the server)"
        JWT = "jwt", "JWT (RFC 9068, verified with the server's keys)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        PUBLISHED = "published", "Published"

    name = models.CharField(max_length=100, unique=True)
    # Any absolute URI (RFC 8707), as DOT checks a ``resource``: https://api.example.test/colors,
    # or Azure's application ID URIs such as api://colors; a URLField would refuse the latter.
    identifier = models.CharField(
        max_length=255,
        unique=True,
        validators=[validate_resource_identifier],
        help_text="Audience identifier: an absolute URI such as https://api.example.test/colors "
        "or api://colors",
    )
    description = models.TextField(blank=True, default="")
    base_path = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Where this server serves the API, e.g. /api/colors/. A token minted for "
        "another API's audience is refused here (RFC 8707).",
    )
    access_token_format = models.CharField(
        max_length=10,
        choices=TokenFormat.choices,
        default=TokenFormat.OPAQUE,
        help_text="JWT access tokens are checked without a database query; a revoked one is "
        "refused through the shared cache's revocation list.",
    )
    resource_servers = models.ManyToManyField(
        oauth2_settings.APPLICATION_MODEL,
        blank=True,
        related_name="served_apis",
        help_text="Clients that serve this API: they may introspect any token issued for it, "
        "not only their own.",
    )
    enforce_roles = models.BooleanField(
        default=False,
        help_text="Users get only the scopes of this API that their roles permit (Auth0's "
        "Enable RBAC). Off: roles and permissions are claims in the token, for the API to check.",
    )
    subscription_requires_approval = models.BooleanField(
        default=False,
        help_text="Each app's subscription waits for an administrator's (or the API's "
        "publisher's) approval; until then the app cannot get this API's scopes, whatever its "
        "allowed scopes say.",
    )
    created = models.DateTimeField(auto_now_add=True)
    # Publishing (oauth_portal/server/publishing.py): an API registered by a publisher in the
    # portal waits for an admin; until published, its scopes cannot be granted. APIs an admin
    # creates are published at once.
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        db_index=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_apis",
        help_text="The publisher who manages this API in the developer portal.",
    )

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
