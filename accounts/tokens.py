"""Signed, expiring links for account e-mails."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for "verify your e-mail address" links.

    Its own ``key_salt`` keeps a password-reset token from passing as a verification token (and
    the other way round). The hash covers the address and the verified flag, so a link dies once
    it has been used and when the address changes; it expires after ``PASSWORD_RESET_TIMEOUT``.
    """

    key_salt = "accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
