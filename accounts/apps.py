from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Sign-in failure counting listens to Django's auth signals (any sign-in form).
        from accounts import sign_in_protection  # noqa: F401
        from accounts.signals import connect as connect_tokens_follow_the_account

        # Deactivation and a new password revoke the user's tokens, whatever view saved them.
        connect_tokens_follow_the_account()
