"""The admin's client form offers only the grant types the token endpoint accepts."""

import pytest
from django.urls import reverse

from oauth_portal.server.models import Application
from tests.factories import UserFactory
from tests.server.admin_helpers import admin_form_data

pytestmark = pytest.mark.django_db

ADD = "admin:portal_server_application_add"


def offered(page) -> list[str]:
    field = page.context["adminform"].form.fields["authorization_grant_type"]
    return [value for value, _label in field.choices if value]


def test_the_form_offers_only_what_the_server_accepts(admin_client, app):
    for page in (
        admin_client.get(reverse(ADD)),
        admin_client.get(reverse("admin:portal_server_application_change", args=[app.pk])),
    ):
        html = page.content.decode()
        assert offered(page) == [
            Application.GRANT_AUTHORIZATION_CODE,
            Application.GRANT_DEVICE_CODE,
            Application.GRANT_CLIENT_CREDENTIALS,
        ]
        for refused in ("implicit", "password", "openid-hybrid"):
            assert f'value="{refused}' not in html and f"grant-type:{refused}" not in html


@pytest.mark.parametrize(
    "grant_type",
    [
        Application.GRANT_IMPLICIT,
        Application.GRANT_PASSWORD,
        Application.GRANT_OPENID_HYBRID,
    ],
)
def test_a_refused_grant_type_cannot_be_posted(admin_client, grant_type):
    page = admin_client.get(reverse(ADD))
    data = admin_form_data(page) | {
        "name": "Legacy app",
        "user": str(UserFactory(username="devon").pk),
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": grant_type,
        "redirect_uris": "https://legacy.example.test/cb",
        "algorithm": Application.RS256_ALGORITHM,
    }

    response = admin_client.post(reverse(ADD), data)

    assert response.status_code == 200
    assert "authorization_grant_type" in response.context["adminform"].form.errors
    assert not Application.objects.filter(name="Legacy app").exists()
