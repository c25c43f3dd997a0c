import json

from django.core.management.base import BaseCommand

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.registry_export import registry_export


class Command(BaseCommand):
    help = (
        "Write the registry (APIs with their scopes, operations, roles and custom claims; "
        "clients) as JSON, to move it from one environment to another with import_registry. "
        "Never contains secrets, hashes, tokens or keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args, output, **options):
        document = registry_export()
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
        else:
            self.stdout.write(text, ending="")
        AuditEvent.objects.record_admin_action(
            actor=None,
            action="registry_exported",
            apis=len(document["apis"]),
            clients=len(document["clients"]),
        )
        if output:
            self.stderr.write(
                f"Wrote {len(document['apis'])} API(s) and {len(document['clients'])} client(s) "
                f"to {output}."
            )
