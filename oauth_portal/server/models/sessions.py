"""Sign-in sessions as relying parties know them (OpenID Connect ``sid``), the apps signed in
during each, and the back-channel logout notifications owed to those apps."""

from django.conf import settings
from django.db import models


class SignInSession(models.Model):
    """A browser's sign-in here, named by ``sid``: a random id kept in the Django session, so
    ID tokens never carry the session key. Made when the browser first signs in to an app."""

    sid = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The Django session it lives in, so an admin can end it; never shown or sent anywhere.
    session_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    created = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "sign-in session"

    def __str__(self):
        return f"Sign-in of {self.user} on {self.created:%Y-%m-%d %H:%M}"


class SessionClient(models.Model):
    """An app the user signed in to during ``session``: one row per authorization code, so the
    code's ID token, and later its refresh tokens' (by ``token_family``), carry the ``sid``.

    Ending the session also revokes the refresh-token family, unless the user granted
    ``offline_access`` (``outlives_sign_in``; ``oauth_portal.server.offline_access``).
    """

    session = models.ForeignKey(SignInSession, on_delete=models.CASCADE, related_name="clients")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    code_checksum = models.CharField(max_length=64, db_index=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    outlives_sign_in = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self):
        return f"{self.application_id} in session {self.session_id}"


class LogoutNotification(models.Model):
    """An outbox row: a back-channel logout token owed to one app, sent right after the sign-out
    and retried with backoff by ``send_logout_notifications``. The token is made at each try
    (fresh ``iat``, ``exp`` and ``jti``), so only its claims' inputs are kept."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    sid = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=200, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"Logout notification to {self.application_id} ({self.status})"
