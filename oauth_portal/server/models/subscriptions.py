"""Who may use an app before it goes live, which APIs an app subscribes to, and how much it
calls them: sandbox test users, API subscriptions and per-day API usage counters."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SandboxTester(models.Model):
    """A test user a developer listed: besides the developer, the only person who may sign in
    to the app while it is in the sandbox (Google's "test users" of an app in testing).

    Stored as typed (a username, or an e-mail address in lower case) rather than as a user row,
    so a developer can list someone who has no account yet and learns nothing about who does.
    An e-mail address matches only a verified address (``oauth_portal.server.environments``).
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="sandbox_testers",
    )
    identifier = models.CharField(max_length=254)
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "identifier"], name="sandbox_tester_once_per_app"
            )
        ]

    def __str__(self):
        return self.identifier


class Subscription(models.Model):
    """An app's subscription to an API: once approved, the app may ask for the API's scopes.

    An API with ``subscription_requires_approval`` starts each subscription pending until an
    admin (or the API's publisher) decides; any other API approves it at once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    api = models.ForeignKey(
        "portal_server.ApiResource", on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.CharField(
        max_length=500, blank=True, default="", help_text="Shown to the app's developer."
    )

    class Meta:
        ordering = ["api__name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "api"], name="subscription_once")
        ]

    def __str__(self):
        return f"{self.application} → {self.api} ({self.get_status_display()})"


class ApiUsage(models.Model):
    """How many calls an app made to one of our APIs on one day, and when the last one was.

    Counted by the resource APIs' bearer authentication with one upsert per call
    (``oauth_portal.server.api_usage``).
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    api = models.ForeignKey("portal_server.ApiResource", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    calls = models.PositiveBigIntegerField(default=0)
    last_call = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "api", "day"], name="api_usage_per_day")
        ]

    def __str__(self):
        return f"{self.application_id}/{self.api_id} {self.day}: {self.calls}"
