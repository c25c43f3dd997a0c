from django.core.management.base import BaseCommand

from oauth_portal.server.offline_access import sign_in_ties_prune


class Command(BaseCommand):
    help = (
        "Delete the ties between refresh tokens and sign-ins that nothing can use any more "
        "(run after cleartokens)."
    )

    def handle(self, *args, **options):
        deleted = sign_in_ties_prune()
        self.stdout.write(f"Deleted {deleted} sign-in tie(s).")
