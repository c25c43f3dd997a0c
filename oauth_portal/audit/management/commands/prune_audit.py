import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from oauth_portal.audit.models import AuditEvent

UNITS = {"d": "days", "h": "hours"}


def age(value: str) -> timedelta:
    """``90d`` or ``12h``: an age in whole days or hours."""
    match = re.fullmatch(r"(\d{1,6})([dh])", value.strip().lower())
    if not match:
        raise CommandError(
            f"--older-than takes a number of days or hours, like 90d or 12h; not {value!r}"
        )
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Delete audit events older than --older-than (e.g. 90d or 12h), in batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="An age such as 90d or 12h.")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Rows deleted per statement (1000)."
        )

    def handle(self, *args, older_than: str, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        deleted = AuditEvent.objects.prune(older_than=age(older_than), batch_size=batch_size)
        self.stdout.write(f"Deleted {deleted} audit event(s) older than {older_than}.")
