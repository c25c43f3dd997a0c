"""What the commands that act on one account share: the username argument, a reason for the
audit log, and a refusal that changes nothing when no such user exists."""

from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import account_actions


class UserCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's username (USERNAME_FIELD).")
        parser.add_argument("--reason", default="", help="Why, for the audit log.")

    def handle(self, *args, username, reason, **options):
        user = account_actions.user_by_username(username)
        if user is None:
            raise CommandError(f"No user {username!r}. Nothing was changed.")
        self.stdout.write(self.style.SUCCESS(self.act(user=user, username=username, reason=reason)))

    def act(self, *, user, username: str, reason: str) -> str:
        """Do the command's work on ``user``; return the line to print."""
        raise NotImplementedError
