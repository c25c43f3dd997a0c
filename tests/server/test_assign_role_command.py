"""``manage.py assign_role``: scripted role assignment, audited like the admin's."""

import pytest
from django.core.management import CommandError, call_command

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import RoleAssignment
from tests.server.role_helpers import COLORS, colors_api, role_with

pytestmark = pytest.mark.django_db


def test_the_command_gives_and_takes_a_role(user):
    role = role_with(colors_api(), "viewer", "colors:read")

    call_command("assign_role", "alice", COLORS, "viewer")
    assert RoleAssignment.objects.filter(role=role, user=user).exists()

    call_command("assign_role", "alice", COLORS, "viewer", "--remove")
    assert not RoleAssignment.objects.filter(role=role, user=user).exists()
    assert [event.type for event in AuditEvent.objects.order_by("created", "id")] == [
        AuditEvent.Type.ROLE_ASSIGNED,
        AuditEvent.Type.ROLE_UNASSIGNED,
    ]


@pytest.mark.parametrize(
    "username, api, role",
    [
        ("nobody", COLORS, "viewer"),
        ("alice", COLORS, "no-such-role"),
        ("alice", "https://api.example.test/other", "viewer"),
    ],
)
def test_an_unknown_user_api_or_role_changes_nothing(user, username, api, role):
    role_with(colors_api(), "viewer", "colors:read")

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("assign_role", username, api, role)

    assert not RoleAssignment.objects.exists()
    assert not AuditEvent.objects.exists()
