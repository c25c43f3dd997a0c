"""An API's resource servers are picked in the API admin: the change is recorded, and from then
on those clients (and only they, besides each token's own client) may introspect its tokens."""

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import ApiResource
from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, mint_access_token
from tests.server.admin_helpers import form_and_inline_data

pytestmark = pytest.mark.django_db

COLORS = "https://api.example.test/colors"


def introspect(client, as_app, token: str) -> dict:
    return client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(as_app.client_id)
    ).json()


def test_admin_makes_a_client_a_resource_server_of_an_api(admin_client, admin_user, user, app):
    colors = ApiResource.objects.get(identifier=COLORS)
    backend = ApplicationFactory(name="Colors backend")
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert introspect(admin_client, backend, token) == {"active": False}
    url = reverse("admin:portal_server_apiresource_change", args=[colors.pk])
    data = form_and_inline_data(admin_client.get(url)) | {"resource_servers": [backend.pk]}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(colors.resource_servers.all()) == [backend]
    event = AuditEvent.objects.get(type=AuditEvent.Type.API_CHANGED)
    assert event.actor == admin_user
    assert event.details["fields"] == ["resource_servers"]
    assert introspect(admin_client, backend, token)["active"] is True


def test_the_api_admin_page_offers_the_resource_servers_field(admin_client):
    colors = ApiResource.objects.get(identifier=COLORS)
    backend = ApplicationFactory(name="Colors backend")

    page = admin_client.get(reverse("admin:portal_server_apiresource_change", args=[colors.pk]))

    field = page.context["adminform"].form.fields["resource_servers"]
    assert backend in field.queryset
    assert "Colors backend" in page.content.decode()
