from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import device_flow, sign_in_sessions


class Command(BaseCommand):
    help = (
        "Delete device-flow grants that expired, sign-in sessions that ended (with the apps "
        "signed in during them) and back-channel logout notifications that were delivered or "
        "given up on, longer ago than --older-than (default 7d). Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default="7d", help="Nd (days) or Nh (hours)")

    def handle(self, *args, older_than: str, **options):
        age = parse_age(older_than)
        grants = device_flow.device_grants_prune(older_than=age)
        records = sign_in_sessions.sign_in_records_prune(older_than=age)
        self.stdout.write(f"Deleted {grants} device grants and {records} sign-in records.")


def parse_age(value: str) -> timedelta:
    number, unit = value[:-1], value[-1:]
    if not number.isdigit() or unit not in ("d", "h"):
        raise CommandError(f'--older-than must look like "7d" or "12h", not "{value}".')
    return timedelta(days=int(number)) if unit == "d" else timedelta(hours=int(number))
