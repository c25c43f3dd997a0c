from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import key_rotation
from oauth_portal.server.models import SigningKey


class Command(BaseCommand):
    help = (
        "Emergency: take a leaked signing key out of the JWKS at once (a rotation keeps it "
        "published while its tokens live). Every token it signed stops verifying; if it was "
        "the current key, the next one becomes current first. Clients get new tokens by "
        "refreshing; users of apps holding only ID tokens may have to sign in again."
    )

    def add_arguments(self, parser):
        parser.add_argument("kid", help="The key's id (the kid in token headers and the JWKS).")

    def handle(self, *args, kid, **options):
        try:
            key_rotation.signing_key_revoke(kid=kid)
        except SigningKey.DoesNotExist as error:
            known = ", ".join(SigningKey.objects.values_list("kid", flat=True)) or "none"
            raise CommandError(f"No signing key {kid!r}. Known keys: {known}.") from error
        current = SigningKey.objects.get(is_current=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Signing key {kid} is no longer published. {current.kid} signs from now on."
            )
        )
