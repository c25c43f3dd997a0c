"""An API's operations: each HTTP method and path template names the scope it requires.

Like Mashery's per-method scopes or an OpenAPI ``security`` requirement, but kept in the
registry, so an admin or the API's publisher changes them without a deployment and the
resource server enforces them (``apis.permissions.TokenHasOperationScope``).
"""

import re

from django.core.exceptions import ValidationError
from django.db import models

from oauth_portal.server.models.registry import ApiResource, Scope

# "/", "/colors/", "/colors/{id}/", "/orders/{order_id}/lines": literal segments of URL-safe
# characters (RFC 3986 unreserved, plus ':' '@' and sub-delims but no '{' '}' outside a
# parameter) or a whole-segment parameter; a trailing slash is significant.
_SEGMENT = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@%]+|\{[A-Za-z_][A-Za-z0-9_]*\})"
PATH_TEMPLATE = re.compile(rf"^/(?:{_SEGMENT}(?:/{_SEGMENT})*/?)?$")


def validate_path_template(value: str) -> None:
    if not PATH_TEMPLATE.match(value):
        raise ValidationError(
            "%(value)s is not a path template: start with /, use whole-segment parameters "
            "such as /colors/{id}/, and no query or fragment.",
            code="invalid_path_template",
            params={"value": value},
        )


class ApiOperation(models.Model):
    """One operation of an API (``GET /colors/{id}/``) and the scope a token needs for it.

    The path is relative to the API's ``base_path``; ``/`` is the base path itself.
    """

    class Method(models.TextChoices):
        GET = "GET", "GET"
        POST = "POST", "POST"
        PUT = "PUT", "PUT"
        PATCH = "PATCH", "PATCH"
        DELETE = "DELETE", "DELETE"

    api = models.ForeignKey(ApiResource, on_delete=models.CASCADE, related_name="operations")
    method = models.CharField(max_length=7, choices=Method.choices)
    path = models.CharField(
        max_length=200,
        validators=[validate_path_template],
        help_text="Relative to the API's base path, e.g. / or /{id}/ ({name} matches one "
        "path segment).",
    )
    scope = models.ForeignKey(
        Scope,
        on_delete=models.PROTECT,
        related_name="operations",
        help_text="One of this API's own scopes.",
    )
    summary = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["api__name", "path", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["api", "method", "path"], name="unique_operation_per_api"
            )
        ]
        # The right to register APIs in the developer portal (the "API publishers" group).
        permissions = [("publish_api", "Can register and manage own APIs in the portal")]
        verbose_name = "operation"

    def __str__(self):
        return f"{self.method} {self.path}"

    def clean(self):
        # A scope of another API would let this API's tokens be minted for someone else's
        # audience: an operation requires one of its own API's scopes.
        if self.scope_id and self.api_id and self.scope.api_id != self.api_id:
            raise ValidationError(
                {"scope": "Pick one of this API's own scopes."}, code="scope_of_another_api"
            )
