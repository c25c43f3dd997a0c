"""Operations in the admin: edited inline on their API, recorded, enforced at once; a scope an
operation requires cannot be deleted."""

import pytest
from django.test import Client
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import ApiOperation, ApiResource, Scope
from tests.factories import ScopeFactory
from tests.oauth_helpers import mint_access_token
from tests.server.admin_helpers import form_and_inline_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def colors_api():
    return ApiResource.objects.get(identifier="https://api.example.test/colors")


def operations_formset(page):
    return next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is ApiOperation
    )


def test_admin_changes_the_scope_of_an_operation_and_the_api_enforces_it(
    admin_client, admin_user, colors_api, user, app
):
    read_only = mint_access_token(user=user, app=app, scope="colors:read")
    url = reverse("admin:portal_server_apiresource_change", args=[colors_api.pk])
    page = admin_client.get(url)
    formset = operations_formset(page)
    index = next(i for i, f in enumerate(formset.forms) if f.instance.method == "GET")
    write = Scope.objects.get(name="colors:write")
    data = form_and_inline_data(page) | {f"{formset.prefix}-{index}-scope": str(write.pk)}

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    event = AuditEvent.objects.get(type=AuditEvent.Type.API_CHANGED)
    assert (event.actor, event.details["action"], event.details["operation"]) == (
        admin_user,
        "operation changed",
        "GET /",
    )
    api = Client().get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert api.status_code == 403
    assert 'scope="colors:write"' in api["WWW-Authenticate"]


def test_admin_cannot_make_an_operation_require_another_apis_scope(admin_client, colors_api):
    other = ScopeFactory(name="photos:read")
    url = reverse("admin:portal_server_apiresource_change", args=[colors_api.pk])
    page = admin_client.get(url)
    formset = operations_formset(page)
    new = formset.total_form_count() - 1  # the empty extra form
    data = form_and_inline_data(page) | {
        f"{formset.prefix}-{new}-method": "GET",
        f"{formset.prefix}-{new}-path": "/{id}/",
        f"{formset.prefix}-{new}-scope": str(other.pk),
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert not ApiOperation.objects.filter(path="/{id}/").exists()


def test_a_scope_an_operation_requires_cannot_be_deleted(admin_client):
    colors_write = Scope.objects.get(name="colors:write")
    url = reverse("admin:portal_server_scope_delete", args=[colors_write.pk])

    page = admin_client.get(url)
    admin_client.post(url, {"post": "yes"})

    assert "1 operations" in page.content.decode()
    assert Scope.objects.filter(pk=colors_write.pk).exists()
