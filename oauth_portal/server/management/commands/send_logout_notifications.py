from django.core.management.base import BaseCommand

from oauth_portal.server import logout_notifications


class Command(BaseCommand):
    help = (
        "Send the back-channel logout notifications that are due: those the sign-out's "
        "background send could not deliver, retried with backoff (30 s, 2 min, 10 min, 1 h, "
        "then given up). Run it every minute from cron."
    )

    def handle(self, *args, **options):
        delivered, failed = logout_notifications.notifications_send()
        self.stdout.write(f"Delivered {delivered}, not delivered {failed}.")
