import json
import sys

from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server.registry_import import RegistryImportError, registry_import


class Command(BaseCommand):
    help = (
        "Create or update the APIs, scopes, operations, roles, custom claims and clients of an "
        "export_registry file, by natural key, all or nothing. Existing clients keep their "
        "secrets; each confidential client created gets a new secret, printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A file written by export_registry (- for stdin).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )
        parser.add_argument(
            "--no-secrets",
            action="store_true",
            help="Print no secrets: new confidential clients must rotate theirs in the admin.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Fail when an owner's username does not exist here (default: no owner).",
        )

    def handle(self, *args, file, dry_run, no_secrets, strict, **options):
        document = self.read(file)
        try:
            report = registry_import(
                document=document, dry_run=dry_run, strict=strict, create_secrets=not no_secrets
            )
        except RegistryImportError as error:
            raise CommandError(f"{error} Nothing was changed.") from error
        for warning in report.missing_owners:
            self.stderr.write(self.style.WARNING(warning))
        for kind, counts in report.summary().items():
            self.stdout.write(f"{kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        for client_id, secret in report.new_secrets.items():
            self.stdout.write(f"New client secret (shown once): {client_id} {secret}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))

    def read(self, file: str) -> dict:
        try:
            if file == "-":
                return json.load(sys.stdin)
            with open(file, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
