"""The keys that sign ID tokens and JWT access tokens."""

from django.db import models


class SigningKey(models.Model):
    """An RSA key that signs ID tokens. One key is current; retired keys stay published.

    A retired key stays in the JWKS until ``published_until``, so tokens it signed still verify.
    The private key is stored encrypted (oauth_portal/server/signing_keys.py), never in the clear.
    """

    kid = models.CharField(max_length=64, unique=True)
    private_key_encrypted = models.TextField(
        help_text="The RSA private key (PEM), Fernet-encrypted under "
        "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS."
    )
    is_current = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    published_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Concurrent first reads on an empty table cannot both create a current key.
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_signing_key",
            )
        ]

    def __str__(self):
        return f"Signing key {self.kid}"

    def private_key_pem(self) -> str:
        from oauth_portal.server.signing_keys import private_key_decrypt

        return private_key_decrypt(self.private_key_encrypted, kid=self.kid)
