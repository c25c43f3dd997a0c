"""What each user allowed each app: DOT stores no consent, we do."""

from django.conf import settings
from django.db import models


class Consent(models.Model):
    """What one user allowed one app: the scopes (and audiences) granted, and when.

    DOT keeps no consent; this row lets the consent page be skipped when nothing new is asked,
    show only the new scopes when more is asked, and be listed and withdrawn on the
    connected-apps page.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
    )
    scope = models.TextField(blank=True, default="", help_text="Granted scopes, space-separated.")
    # What the user ticked "Remember my choice" for: only these let a later request skip the
    # page. ``scope`` stays what the app may hold tokens for (listed on Connected apps).
    # Null (a consent recorded before the choice existed, or made in code): all of ``scope``.
    remembered_scope = models.TextField(  # noqa: DJ001 - null (unset) differs from "" (none)
        null=True,
        blank=True,
        default=None,
        help_text="Scopes that skip the consent page, space-separated (empty: none; "
        "unset: all granted scopes).",
    )
    resource = models.JSONField(default=list, blank=True, help_text="Granted audiences (RFC 8707).")
    granted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application"], name="one_consent_per_user_and_app"
            )
        ]
        ordering = ["-updated_at"]

    def __str__(self):
        return f"{self.user} → {self.application}"

    @property
    def scopes(self) -> set[str]:
        return set(self.scope.split())

    @property
    def remembered_scopes(self) -> set[str]:
        if self.remembered_scope is None:
            return self.scopes
        return set(self.remembered_scope.split())

    def covers(self, scopes) -> bool:
        return set(scopes) <= self.scopes
