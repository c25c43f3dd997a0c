from django.core.management.base import BaseCommand

from oauth_portal.server import key_rotation


class Command(BaseCommand):
    help = (
        "Make the next RSA key sign ID tokens and JWT access tokens from now on: the key "
        "published ahead with --prepare-next, else a new one. The old key stays in the JWKS "
        "until every token it signed has expired; every process picks up the new key within "
        "PORTAL_SIGNING_KEY_CACHE_SECONDS, without a restart."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--prepare-next",
            action="store_true",
            help="Only publish the next key in the JWKS now (relying parties cache the JWKS); "
            "a later rotate_signing_key makes it current.",
        )

    def handle(self, *args, **options):
        if options["prepare_next"]:
            key = key_rotation.signing_key_prepare_next()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Signing key {key.kid} is published; rotate_signing_key makes it current."
                )
            )
            return
        key = key_rotation.signing_key_rotate()
        self.stdout.write(self.style.SUCCESS(f"New signing key {key.kid} is current."))
        retired = key_rotation.signing_key_published_lifetime()
        self.stdout.write(
            f"The previous key (if any) stays published for {retired.total_seconds():.0f} s."
        )
