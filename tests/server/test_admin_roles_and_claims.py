"""Roles, role assignments and custom claims in the admin: every change audited, a role limited
to its API's scopes, reserved claim names refused on the form."""

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import roles
from oauth_portal.server.models import ApiResource, CustomClaim, Role, RoleAssignment, Scope
from tests.factories import UserFactory
from tests.server.role_helpers import colors_api, role_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def photos_scope(db):
    api = ApiResource.objects.create(name="Photos API", identifier="https://photos.example.test")
    return Scope.objects.create(name="photos:read", description="See your photos", api=api)


def scope_ids(*names):
    return [str(pk) for pk in Scope.objects.filter(name__in=names).values_list("pk", flat=True)]


def test_an_admin_creates_a_role_with_its_apis_scopes(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:portal_server_role_add"),
        {
            "api": colors_api().pk,
            "name": "editor",
            "description": "Edits colors",
            "scopes": scope_ids("colors:read", "colors:write"),
        },
    )

    assert response.status_code == 302, response.content[:2000]
    role = Role.objects.get(name="editor")
    assert sorted(role.scopes.values_list("name", flat=True)) == ["colors:read", "colors:write"]
    event = AuditEvent.objects.get(type=AuditEvent.Type.ROLE_CHANGED)
    assert event.actor == admin_user
    assert event.details["permissions"] == ["colors:read", "colors:write"]


def test_a_role_may_not_hold_another_apis_scope(admin_client, photos_scope):
    response = admin_client.post(
        reverse("admin:portal_server_role_add"),
        {"api": colors_api().pk, "name": "sneaky", "scopes": scope_ids("photos:read")},
    )

    assert response.status_code == 200
    assert "photos:read are not scopes of Colors API" in response.content.decode()
    assert not Role.objects.filter(name="sneaky").exists()
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.ROLE_CHANGED).exists()


def test_the_role_page_offers_only_its_apis_scopes(admin_client, photos_scope):
    role = role_with(colors_api(), "viewer", "colors:read")

    response = admin_client.get(reverse("admin:portal_server_role_change", args=[role.pk]))

    offered = {scope.name for scope in response.context["adminform"].form["scopes"].field.queryset}
    assert offered == {"colors:read", "colors:write"}


def test_an_admin_assigns_a_role_and_it_is_audited(admin_client, admin_user):
    role = role_with(colors_api(), "viewer", "colors:read")
    bob = UserFactory(username="bob")

    response = admin_client.post(
        reverse("admin:portal_server_roleassignment_add"), {"role": role.pk, "user": bob.pk}
    )

    assert response.status_code == 302, response.content[:2000]
    assignment = RoleAssignment.objects.get(role=role, user=bob)
    assert assignment.assigned_by == admin_user
    event = AuditEvent.objects.get(type=AuditEvent.Type.ROLE_ASSIGNED)
    assert (event.actor, event.user, event.details["role"]) == (admin_user, bob, "viewer")


def test_assigning_a_held_role_again_is_refused_on_the_form(admin_client):
    bob = UserFactory(username="bob")
    role = role_with(colors_api(), "viewer", "colors:read", holders=[bob])

    response = admin_client.post(
        reverse("admin:portal_server_roleassignment_add"), {"role": role.pk, "user": bob.pk}
    )

    assert response.status_code == 200
    assert RoleAssignment.objects.filter(role=role, user=bob).count() == 1


def test_removing_an_assignment_is_audited(admin_client, admin_user):
    bob = UserFactory(username="bob")
    role = role_with(colors_api(), "viewer", "colors:read", holders=[bob])
    assignment = RoleAssignment.objects.get(role=role, user=bob)

    response = admin_client.post(
        reverse("admin:portal_server_roleassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.ROLE_UNASSIGNED)
    assert (event.actor, event.user) == (admin_user, bob)


def test_the_assignment_page_searches_users(admin_client):
    response = admin_client.get(reverse("admin:portal_server_roleassignment_add"))

    assert response.status_code == 200
    assert "admin-autocomplete" in response.content.decode()


def test_the_service_assigns_once(admin_user):
    role = role_with(colors_api(), "viewer", "colors:read")
    bob = UserFactory(username="bob")

    roles.role_assign(role=role, user=bob, actor=admin_user)
    roles.role_assign(role=role, user=bob, actor=admin_user)

    assert RoleAssignment.objects.filter(role=role, user=bob).count() == 1
    assert AuditEvent.objects.filter(type=AuditEvent.Type.ROLE_ASSIGNED).count() == 1


@pytest.mark.parametrize("key", ["email", "sub", "department"])
def test_the_claim_form_refuses_a_reserved_or_plain_name(admin_client, key):
    response = admin_client.post(
        reverse("admin:portal_server_customclaim_add"),
        {"key": key, "source": "attribute", "attribute": "email", "in_id_token": "on"},
    )

    assert response.status_code == 200
    assert "https://example.com/" in response.content.decode()
    assert not CustomClaim.objects.exists()


def test_the_claim_form_offers_no_password(admin_client):
    response = admin_client.post(
        reverse("admin:portal_server_customclaim_add"),
        {
            "key": "https://example.com/pw",
            "source": "attribute",
            "attribute": "password",
            "in_id_token": "on",
        },
    )

    assert response.status_code == 200
    assert not CustomClaim.objects.exists()


def test_an_admin_adds_a_claim_and_it_is_audited(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:portal_server_customclaim_add"),
        {
            "key": "https://example.com/groups",
            "source": "groups",
            "api": colors_api().pk,
            "in_id_token": "on",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    claim = CustomClaim.objects.get()
    assert (claim.key, claim.source, claim.api, claim.in_id_token) == (
        "https://example.com/groups",
        "groups",
        colors_api(),
        True,
    )
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLAIM_CHANGED)
    assert (event.actor, event.details["action"]) == (admin_user, "created")


def test_the_api_page_switches_enforce_roles(admin_client):
    from tests.server.admin_helpers import form_and_inline_data

    url = reverse("admin:portal_server_apiresource_change", args=[colors_api().pk])
    data = form_and_inline_data(admin_client.get(url))
    data["enforce_roles"] = "on"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content[:2000]
    assert colors_api().enforce_roles is True


def test_a_saved_role_cannot_move_to_another_api(admin_client, photos_scope):
    role = role_with(colors_api(), "viewer", "colors:read")
    url = reverse("admin:portal_server_role_change", args=[role.pk])

    response = admin_client.post(
        url,
        {"api": photos_scope.api.pk, "name": "viewer", "scopes": scope_ids("colors:read")},
    )

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.api == colors_api()
