from django.apps import AppConfig


class MfaConfig(AppConfig):
    """Second factors (authenticator apps, passkeys, recovery codes) after any sign-in."""

    name = "oauth_portal.mfa"
    label = "portal_mfa"
    verbose_name = "Two-step verification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from oauth_portal.mfa import sign_in  # noqa: F401 - connects the user_logged_in receiver
        from oauth_portal.mfa.admin import install_admin

        install_admin()
