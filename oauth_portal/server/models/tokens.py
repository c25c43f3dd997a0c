"""What the server keeps about tokens beyond DOT's own rows."""

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


class RedeemedCode(models.Model):
    """Remembers a redeemed authorization code so that a replay can revoke what it issued.

    DOT deletes a code once redeemed, which leaves a second redemption indistinguishable from
    a made-up code. RFC 6749 §4.1.2 asks us to revoke the tokens of the first redemption, so we
    keep the code's SHA-256 (never the code) and the refresh-token family it started.
    """

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True)
    token_family = models.UUIDField(null=True, db_index=True)
    access_token_checksum = models.CharField(max_length=64, blank=True, default="")
    redeemed_at = models.DateTimeField(auto_now_add=True)
    # How the user signed in (``amr``) for the code: refreshed ID tokens of its family repeat it.
    sign_in_methods = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"Redeemed code #{self.pk}"


class JwtAccessToken(models.Model):
    """The ``jti`` of an access token issued as an RFC 9068 JWT.

    DOT stores only a checksum of each token, so the ``jti`` is kept here, beside the row it
    belongs to: when that row is deleted (revocation, rotation, suspension, a deactivated
    user...), this one goes with it, and the APIs refuse a JWT whose ``jti`` has no row
    (``oauth_portal.bearer``; the cache in front only remembers the answer for a short while).
    """

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        related_name="jwt",
    )
    jti = models.CharField(max_length=64, unique=True)
    expires = models.DateTimeField()

    class Meta:
        verbose_name = "JWT access token"

    def __str__(self):
        return f"JWT {self.jti[:8]}…"


class GrantSignIn(models.Model):
    """How the user had signed in when an authorization code was issued (``amr``).

    DOT's grant row has no room for it; this one lives and dies with the code (the redemption
    copies it to ``RedeemedCode.sign_in_methods``), so the code exchange can put ``amr`` and
    ``acr`` in the ID token (oauth_portal/server/sign_in_methods.py).
    """

    grant = models.OneToOneField(
        oauth2_settings.GRANT_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portal_sign_in",
    )
    methods = models.JSONField(default=list)

    def __str__(self):
        return f"Sign-in of grant #{self.pk}: {' '.join(self.methods)}"
