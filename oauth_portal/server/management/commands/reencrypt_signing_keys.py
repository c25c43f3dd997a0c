from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import key_rotation
from oauth_portal.server.signing_keys import SigningKeyDecryptionError, forget_memoised_keys


class Command(BaseCommand):
    help = (
        "Encrypt every stored signing key again under the first key of "
        "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS. Run it after putting a new key first (keeping the "
        "old one after it); once it has run, the old key can be removed from the setting."
    )

    def handle(self, *args, **options):
        try:
            count = key_rotation.signing_keys_reencrypt()
        except SigningKeyDecryptionError as error:
            raise CommandError(f"{error} Nothing was changed.") from error
        forget_memoised_keys()
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {count} signing key{'' if count == 1 else 's'} under the first key."
            )
        )
