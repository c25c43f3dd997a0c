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
        # A kid is a base64url thumbprint: one in 64 begins with "-", which argparse takes for an
        # option. Such a kid goes as --kid=<kid> (or after "--").
        parser.add_argument(
            "kid", nargs="?", help="The key's id (the kid in token headers and the JWKS)."
        )
        parser.add_argument(
            "--kid", dest="kid_option", metavar="KID", help="The same, for a kid beginning with -."
        )

    def handle(self, *args, kid=None, kid_option=None, **options):
        kid = kid or kid_option
        if not kid:
            raise CommandError(
                "Name the key: revoke_signing_key <kid>, or --kid=<kid> when it begins with '-'."
            )
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
