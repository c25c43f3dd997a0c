from django.core.management.base import BaseCommand

from oauth_portal.server import key_rotation


class Command(BaseCommand):
    help = (
        "Make a new RSA key sign ID tokens from now on. The old key stays in the JWKS until "
        "every token it signed has expired; every process picks up the new key within "
        "PORTAL_SIGNING_KEY_CACHE_SECONDS, without a restart."
    )

    def handle(self, *args, **options):
        key = key_rotation.signing_key_rotate()
        self.stdout.write(self.style.SUCCESS(f"New signing key {key.kid} is current."))
        retired = key_rotation.signing_key_published_lifetime()
        self.stdout.write(
            f"The previous key (if any) stays published for {retired.total_seconds():.0f} s."
        )
