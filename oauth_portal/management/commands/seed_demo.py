from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oauth_portal.demo import demo_seed


class Command(BaseCommand):
    help = "Create (or reset) demo users and demo OAuth clients, and print their credentials."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off; passwords and secrets are then random.",
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, force=False, base_url="http://127.0.0.1:8000", **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with DJANGO_DEBUG off. Use --force if you "
                "really want them (their passwords will be random)."
            )
        creds = demo_seed(base_url=base_url.rstrip("/"), random_passwords=not settings.DEBUG)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("\nPeople (sign in at /accounts/login/):")
        for role, username, password in creds.users:
            self.stdout.write(f"  {role:<10} username: {username:<6} password: {password}")
        self.stdout.write("\nOAuth clients:")
        for kind, client_id, secret in creds.clients:
            line = f"  {kind:<30} client_id: {client_id}"
            self.stdout.write(line + (f"  client_secret: {secret}" if secret else ""))
        self.stdout.write(f"\nRedirect URI: {base_url.rstrip('/')}/demo/callback\n")
