"""Custom claims an admin adds to an API's access tokens and/or to ID tokens, from the user's
fields or groups, under a namespaced key (a URL, as Auth0 requires). Resolving them is
``oauth_portal/server/custom_claims.py``'s job."""

from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from oauth_portal.server.models.registry import ApiResource

# Registered JWT claims (RFC 7519, 8693, 9068, 7800, OIDC Core) and the OIDC standard claims:
# a custom claim must never overwrite or impersonate any of them.
RESERVED_CLAIM_NAMES = frozenset(
    "iss sub aud exp nbf iat jti azp scope client_id nonce auth_time acr amr at_hash c_hash sid "
    "cnf act may_act "
    "name given_name family_name middle_name nickname preferred_username profile picture website "
    "email email_verified gender birthdate zoneinfo locale phone_number phone_number_verified "
    "address updated_at "
    "permissions roles groups".split()
)

# User fields never released, whatever the user model calls them.
SECRET_FIELD_WORDS = ("password", "secret", "token", "key", "otp")


def releasable_user_fields() -> list[str]:
    """The user model's plain fields a claim may carry: not relations, not secrets."""
    return [
        field.name
        for field in get_user_model()._meta.concrete_fields
        if not field.is_relation
        and not any(word in field.name.lower() for word in SECRET_FIELD_WORDS)
    ]


def validate_claim_key(value: str) -> None:
    """A namespaced key: an absolute http(s) URL such as https://example.com/roles."""
    if value in RESERVED_CLAIM_NAMES:
        raise ValidationError(
            "%(value)s is a registered JWT or OpenID Connect claim: choose a namespaced key such "
            "as https://example.com/%(value)s.",
            code="reserved_claim",
            params={"value": value},
        )
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.fragment
        or not value.isprintable()
        or any(character.isspace() for character in value)
    ):
        raise ValidationError(
            "%(value)s is not a namespaced key: use an absolute http(s) URL such as "
            "https://example.com/roles, so it cannot collide with a registered claim.",
            code="claim_not_namespaced",
            params={"value": value},
        )


class CustomClaim(models.Model):
    class Source(models.TextChoices):
        ATTRIBUTE = "attribute", "A field of the user"
        GROUPS = "groups", "The names of the user's groups"

    key = models.CharField(
        "claim name",
        max_length=255,
        validators=[validate_claim_key],
        help_text="Namespaced claim name: an absolute URL such as https://example.com/department",
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.ATTRIBUTE)
    attribute = models.CharField(
        "user field",
        max_length=100,
        blank=True,
        default="",
        help_text="The user's field (for a field source).",
    )
    api = models.ForeignKey(
        ApiResource,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="custom_claims",
        verbose_name="API",
        help_text="Access tokens for this API carry the claim (empty: no access token does).",
    )
    in_id_token = models.BooleanField(
        "in ID tokens",
        default=False,
        help_text="ID tokens and userinfo carry the claim, for every client.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["api", "key"], name="custom_claim_unique_per_api"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(in_id_token=True), name="custom_claim_unique_in_id"
            ),
            models.CheckConstraint(
                condition=Q(api__isnull=False) | Q(in_id_token=True),
                name="custom_claim_goes_somewhere",
            ),
        ]

    def __str__(self):
        return self.key

    def clean(self):
        if self.api_id is None and not self.in_id_token:
            raise ValidationError(
                "Pick an API whose access tokens carry this claim, or tick ID tokens.",
                code="claim_goes_nowhere",
            )
        if self.source == self.Source.ATTRIBUTE:
            if self.attribute not in releasable_user_fields():
                raise ValidationError(
                    {
                        "attribute": ValidationError(
                            "Pick one of the user's fields: %(fields)s.",
                            code="unknown_user_field",
                            params={"fields": ", ".join(releasable_user_fields())},
                        )
                    }
                )
        else:
            self.attribute = ""
