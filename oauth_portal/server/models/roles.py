"""Roles per API (Auth0's RBAC): a role is a named set of one API's scopes, its permissions, and
users hold roles. What a token then carries is decided in ``oauth_portal/server/roles.py``."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from oauth_portal.server.models.registry import ApiResource, Scope


def validate_role_name(value: str) -> None:
    """A role name travels in the ``roles`` claim and in audit records: printable, trimmed."""
    if value != value.strip() or not value.isprintable():
        raise ValidationError(
            "A role name is printable text without leading or trailing spaces: %(value)r.",
            code="invalid_role_name",
            params={"value": value},
        )


class Role(models.Model):
    """A named set of one API's scopes (its permissions), e.g. "editor" of the Colors API."""

    api = models.ForeignKey(
        ApiResource, on_delete=models.CASCADE, related_name="roles", verbose_name="API"
    )
    name = models.CharField(max_length=100, validators=[validate_role_name])
    description = models.CharField(max_length=200, blank=True, default="")
    scopes = models.ManyToManyField(
        Scope,
        blank=True,
        related_name="roles",
        verbose_name="permissions",
        help_text="Scopes of this role's API that its holders are permitted.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["api__name", "name"]
        constraints = [models.UniqueConstraint(fields=["api", "name"], name="role_unique_per_api")]

    def __str__(self):
        return f"{self.name} ({self.api})"


class RoleAssignment(models.Model):
    """One user holds one role; written only through ``roles.role_assign``/``role_unassign``."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_role_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role__api__name", "role__name", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["role", "user"], name="role_assignment_unique")
        ]

    def __str__(self):
        return f"{self.role} held by {self.user}"
