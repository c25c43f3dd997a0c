from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import account_actions


class Command(BaseCommand):
    help = (
        "Revoke every access, refresh and ID token and pending authorization code a user holds, "
        "in every app, without deactivating the account: apps must send the user through "
        "sign-in and consent again. Recorded in the audit log."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's username (USERNAME_FIELD).")
        parser.add_argument("--reason", default="", help="Why, for the audit log.")

    def handle(self, *args, username, reason, **options):
        user = account_actions.user_by_username(username)
        if user is None:
            raise CommandError(f"No user {username!r}. Nothing was changed.")
        revoked = account_actions.user_tokens_revoke_all(user=user, reason=reason)
        self.stdout.write(
            self.style.SUCCESS(
                f"Revoked {revoked} access token(s) of {username} with their refresh tokens, "
                "ID tokens and pending codes. The account stays active."
            )
        )
