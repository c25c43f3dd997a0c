"""Every client records its kind, however it was made, so the admin filters on a column."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from oauth_portal.server.models import Application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("client_type", "grant_type", "kind"),
    [
        ("confidential", "authorization-code", "web"),
        ("public", "authorization-code", "native"),
        ("confidential", "client-credentials", "service"),
    ],
)
def test_createapplication_records_the_kind(client_type, grant_type, kind, admin_client):
    call_command(
        "createapplication",
        client_type,
        grant_type,
        "--name",
        "Made on the command line",
        "--redirect-uris",
        "https://client.example.test/callback" if grant_type != "client-credentials" else "",
        "--algorithm",
        "RS256",
        stdout=None,
    )

    application = Application.objects.get(name="Made on the command line")
    listed = admin_client.get(reverse("admin:portal_server_application_changelist"), {"kind": kind})

    assert application.kind == kind
    assert list(listed.context["cl"].result_list) == [application]
