from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import account_actions


class Command(BaseCommand):
    help = (
        "Incident response for a compromised account: deactivate it, revoke every token and "
        "pending authorization code it holds in every app, and end its sign-in sessions. "
        "Recorded in the audit log. Reactivate in the admin (the user then signs in again)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's username (USERNAME_FIELD).")
        parser.add_argument("--reason", default="", help="Why, for the audit log.")

    def handle(self, *args, username, reason, **options):
        user = account_actions.user_by_username(username)
        if user is None:
            raise CommandError(f"No user {username!r}. Nothing was changed.")
        result = account_actions.user_suspend(user=user, reason=reason)
        state = "Suspended" if result.was_active else "Already inactive:"
        if result.sessions_ended is None:
            sessions = "sessions end on their next request (the account is inactive)"
        else:
            sessions = f"ended {result.sessions_ended} session(s)"
        self.stdout.write(
            self.style.SUCCESS(
                f"{state} {username}. Revoked {result.access_tokens_revoked} access token(s) "
                f"with their refresh tokens, ID tokens and pending codes; {sessions}."
            )
        )
