"""Dynamic client registration (RFC 7591/7592): the initial access tokens an admin hands out,
and the registration a self-registered client manages with its registration access token.

Only SHA-256 digests of both tokens are stored: they are long random strings, so a fast hash
is as safe as a slow one, and a stolen database cannot be replayed against the endpoints.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone


def token_digest(token: str) -> str:
    """The stored form of an initial or registration access token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class InitialAccessToken(models.Model):
    """What lets a client register itself while open registration is off (RFC 7591 §3).

    Issued in the admin and shown there once; good until ``expires_at`` for ``uses_left``
    registrations (each successful registration spends one), unless revoked sooner.
    """

    name = models.CharField(
        max_length=100, help_text="Who or what it is for, e.g. “Partner onboarding, ACME”."
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    uses_left = models.PositiveIntegerField(default=1)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.uses_left > 0 and self.expires_at > timezone.now()


class DynamicRegistration(models.Model):
    """A client that registered itself at the registration endpoint, with the digest of the
    registration access token that reads, updates and deletes it (RFC 7592).

    Kept apart from DOT's access tokens on purpose: it is a credential for the client
    configuration endpoint only, never accepted by an API, and revoking an app's tokens
    does not lock its registration.
    """

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="dynamic_registration",
    )
    access_token_digest = models.CharField(max_length=64, unique=True)
    initial_access_token = models.ForeignKey(
        InitialAccessToken,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Registration of {self.application_id}"
