from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oauth_portal.server import roles
from oauth_portal.server.models import Role


class Command(BaseCommand):
    help = (
        "Give a user one of an API's roles (or take it with --remove), as the admin's Role "
        "assignments page does; recorded in the audit log. For scripted set-ups."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user's username (USERNAME_FIELD).")
        parser.add_argument(
            "api", help="The API's identifier, e.g. https://api.example.test/colors"
        )
        parser.add_argument("role", help="The role's name within that API.")
        parser.add_argument("--remove", action="store_true", help="Take the role instead.")

    def handle(self, *args, username, api, role, remove, **options):
        user_model = get_user_model()
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}. Nothing was changed.")
        found = Role.objects.select_related("api").filter(api__identifier=api, name=role).first()
        if found is None:
            raise CommandError(f"The API {api!r} has no role {role!r}. Nothing was changed.")
        if remove:
            changed = roles.role_unassign(role=found, user=user, actor=None)
            verb = "Took" if changed else "Nothing to take:"
        else:
            roles.role_assign(role=found, user=user, actor=None)
            verb = "Gave"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {found} {'from' if remove else 'to'} {username}.")
        )
