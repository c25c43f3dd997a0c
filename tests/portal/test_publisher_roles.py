"""An API's own publisher defines its roles, gives them to users and adds custom claims in the
portal (Auth0's RBAC run by the API's team); tokens for the API then carry them. Another
publisher gets a 404 on all of it, anyone else a 403."""

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import registry
from oauth_portal.server.models import ApiResource, CustomClaim, Role, RoleAssignment, Scope
from tests.factories import UserFactory
from tests.portal.test_api_publishers import publisher_named, signed_in_as
from tests.server.role_helpers import (
    COLORS,
    colors_api,
    introspect,
    role_with,
    tokens_for,
    verified_claims,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    owner = publisher_named("petra")
    ApiResource.objects.filter(identifier=COLORS).update(owner=owner)
    return owner


@pytest.fixture
def as_owner(owner):
    return signed_in_as(owner)


@pytest.fixture
def photos(db):
    """Another publisher's API, with a scope of its own."""
    api = ApiResource.objects.create(
        name="Photos API", identifier="api://photos", owner=publisher_named("oscar")
    )
    Scope.objects.create(name="photos:read", description="See your photos", api=api)
    return api


def url(name, api, *args):
    return reverse(f"portal:{name}", args=[api.pk, *args])


def add_role(client, api, name="editor", scopes=("colors:read", "colors:write"), **extra):
    data = {"name": name, "description": "Changes the palette", "scopes": list(scopes), **extra}
    return client.post(url("publisher-role-add", api), data)


def give(client, role, handle):
    data = {f"role-{role.pk}-user": handle}
    return client.post(url("publisher-role-assign", role.api, role.pk), data)


def set_permissions(client, role, *scopes, api=None):
    data = {f"role-{role.pk}-scopes": list(scopes)}
    return client.post(url("publisher-role-permissions", api or role.api, role.pk), data)


def colors_token_claims(client, app):
    tokens = tokens_for(client, app, "colors:read colors:write", resource=COLORS)
    return introspect(client, app, tokens["access_token"])


# --- The whole way: from the portal page to the token -------------------------------------------


def test_a_publishers_role_and_its_permissions_reach_the_users_token_for_the_api(
    as_owner, signed_in, user, app
):
    assert add_role(as_owner, colors_api()).status_code == 302
    role = Role.objects.get(api=colors_api(), name="editor")
    assert give(as_owner, role, "alice").status_code == 302

    claims = colors_token_claims(signed_in, app)

    assert claims["roles"] == ["editor"]
    assert claims["permissions"] == ["colors:read", "colors:write"]
    page = as_owner.get(url("publisher-roles", colors_api())).content.decode()
    assert "alice" in page and "colors:write" in page
    assert AuditEvent.objects.filter(type=AuditEvent.Type.ROLE_ASSIGNED).count() == 1


def test_a_jwt_access_token_for_the_api_carries_the_publishers_role(as_owner, signed_in, user, app):
    ApiResource.objects.filter(identifier=COLORS).update(
        access_token_format=ApiResource.TokenFormat.JWT
    )
    registry.forget()
    add_role(as_owner, colors_api(), name="viewer", scopes=("colors:read",))
    give(as_owner, Role.objects.get(name="viewer"), "alice@example.test")
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    give(as_owner, Role.objects.get(name="viewer"), "alice@example.test")

    tokens = tokens_for(signed_in, app, "colors:read colors:write", resource=COLORS)
    claims = verified_claims(signed_in, tokens["access_token"])

    assert claims["roles"] == ["viewer"]
    assert claims["permissions"] == ["colors:read"]


def test_removing_the_assignment_removes_the_claims_from_new_tokens(as_owner, signed_in, user, app):
    role = role_with(colors_api(), "editor", "colors:read", holders=[user])
    assignment = RoleAssignment.objects.get(role=role, user=user)

    response = as_owner.post(url("publisher-role-unassign", colors_api(), role.pk, assignment.pk))

    assert response.status_code == 302
    claims = colors_token_claims(signed_in, app)
    assert claims["roles"] == []
    assert claims["permissions"] == []
    assert AuditEvent.objects.filter(type=AuditEvent.Type.ROLE_UNASSIGNED).count() == 1


def test_changing_a_roles_permissions_changes_new_tokens(as_owner, signed_in, user, app):
    role = role_with(colors_api(), "editor", "colors:read", "colors:write", holders=[user])

    assert set_permissions(as_owner, role, "colors:read").status_code == 302

    assert colors_token_claims(signed_in, app)["permissions"] == ["colors:read"]
    assert AuditEvent.objects.filter(
        type=AuditEvent.Type.ROLE_CHANGED, details__action="changed"
    ).exists()


def test_deleting_a_role_takes_it_from_its_holders(as_owner, signed_in, user, app):
    role = role_with(colors_api(), "editor", "colors:read", holders=[user])

    assert as_owner.post(url("publisher-role-delete", colors_api(), role.pk)).status_code == 302

    assert not Role.objects.filter(pk=role.pk).exists()
    assert colors_token_claims(signed_in, app)["roles"] == []


def test_a_publishers_custom_claim_reaches_the_token_and_leaves_it_when_removed(
    as_owner, signed_in, user, app
):
    user.groups.create(name="designers")
    key = "https://colors.example.test/groups"
    response = as_owner.post(
        url("publisher-claim-add", colors_api()), {"key": key, "source": "groups"}
    )
    assert response.status_code == 302
    assert colors_token_claims(signed_in, app)[key] == ["designers"]

    claim = CustomClaim.objects.get(key=key)
    assert as_owner.post(url("publisher-claim-delete", colors_api(), claim.pk)).status_code == 302

    assert key not in colors_token_claims(signed_in, app)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CLAIM_CHANGED).count() == 2


# --- Finding a user without learning who has an account -----------------------------------------


def test_the_answer_is_the_same_whether_or_not_an_account_matches(as_owner, user):
    role = role_with(colors_api(), "editor", "colors:read")

    found = give(as_owner, role, "alice")
    missing = give(as_owner, role, "nobody-here")

    assert found.status_code == missing.status_code == 302
    assert found["Location"] == missing["Location"]
    said = [str(m) for m in as_owner.get(found["Location"]).context["messages"]]
    assert "If an account has the username or verified address" in said[0]
    assert list(role.assignments.values_list("user__username", flat=True)) == ["alice"]


def test_only_an_exact_username_or_a_verified_address_finds_a_user(as_owner, user):
    role = role_with(colors_api(), "editor", "colors:read")
    UserFactory(username="una", email="una@example.test", email_verified=False)
    UserFactory(username="vera", email="vera@example.test", email_verified=True)

    for handle in ("ali", "ALICE", "alice@example.test", "una@example.test", "%", "Vera@"):
        give(as_owner, role, handle)
    assert not role.assignments.exists()

    give(as_owner, role, "VERA@example.test")
    assert list(role.assignments.values_list("user__username", flat=True)) == ["vera"]


# --- Another publisher, a developer, another API ------------------------------------------------


def test_another_publisher_can_neither_see_nor_change_the_apis_roles(owner, user, photos):
    role = role_with(colors_api(), "editor", "colors:read", holders=[user])
    assignment = RoleAssignment.objects.get(role=role)
    claim = CustomClaim.objects.create(
        api=colors_api(), key="https://c.example.test/e", attribute="email"
    )
    oscar = signed_in_as(photos.owner)
    api = colors_api()

    attempts = [
        oscar.get(url("publisher-roles", api)),
        add_role(oscar, api, name="intruder"),
        oscar.post(url("publisher-role-delete", api, role.pk)),
        set_permissions(oscar, role, "colors:read"),
        set_permissions(oscar, role, "photos:read", api=photos),
        give(oscar, role, "petra"),
        oscar.post(url("publisher-role-unassign", api, role.pk, assignment.pk)),
        oscar.post(
            url("publisher-claim-add", api), {"key": "https://x.test/a", "source": "groups"}
        ),
        oscar.post(url("publisher-claim-delete", api, claim.pk)),
        # Their own API's URL with this API's role, assignment or claim.
        oscar.post(url("publisher-role-delete", photos, role.pk)),
        give(oscar, Role(pk=role.pk, api=photos), "petra"),
        oscar.post(url("publisher-role-unassign", photos, role.pk, assignment.pk)),
        oscar.post(url("publisher-claim-delete", photos, claim.pk)),
    ]

    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert list(Role.objects.values_list("name", flat=True)) == ["editor"]
    assert list(role.assignments.values_list("user__username", flat=True)) == ["alice"]
    assert CustomClaim.objects.count() == 1


def test_a_developer_who_publishes_nothing_is_refused(owner, signed_in):
    assert signed_in.get(url("publisher-roles", colors_api())).status_code == 403
    assert add_role(signed_in, colors_api()).status_code == 403
    assert not Role.objects.exists()


def test_a_scope_of_another_api_cannot_be_put_in_a_role(as_owner, photos):
    response = add_role(as_owner, colors_api(), scopes=("colors:read", "photos:read"))

    assert response.status_code == 400
    assert "photos:read is not one of the available choices" in response.content.decode()
    assert not Role.objects.exists()


def test_a_scope_of_another_api_cannot_be_added_to_a_roles_permissions(as_owner, photos):
    role = role_with(colors_api(), "editor", "colors:read")

    response = set_permissions(as_owner, role, "colors:write", "photos:read")

    assert response.status_code == 400
    assert "photos:read is not one of the available choices" in response.content.decode()
    assert list(role.scopes.values_list("name", flat=True)) == ["colors:read"]


def test_the_roles_page_offers_only_the_apis_own_scopes(as_owner, photos):
    page = as_owner.get(url("publisher-roles", colors_api())).content.decode()

    assert 'value="colors:write"' in page
    assert "photos:read" not in page


# --- Bad input: a readable form error, nothing changes ------------------------------------------


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("sub", "sub is a registered JWT or OpenID Connect claim"),
        ("roles", "roles is a registered JWT or OpenID Connect claim"),
        ("department", "department is not a namespaced key"),
        ("https://x.test/a b", "is not a namespaced key"),
    ],
)
def test_a_reserved_or_unnamespaced_claim_key_is_refused_with_a_readable_error(as_owner, key, says):
    response = as_owner.post(
        url("publisher-claim-add", colors_api()),
        {"key": key, "source": "attribute", "attribute": "email"},
    )

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not CustomClaim.objects.exists()


def test_a_secret_user_field_cannot_be_released(as_owner):
    response = as_owner.post(
        url("publisher-claim-add", colors_api()),
        {"key": "https://x.test/p", "source": "attribute", "attribute": "password"},
    )

    assert response.status_code == 400
    assert not CustomClaim.objects.exists()


@pytest.mark.parametrize("field", ["email", "username", "first_name", "is_superuser"])
def test_a_publisher_cannot_release_what_a_scope_guards_or_who_administers(as_owner, field):
    response = as_owner.post(
        url("publisher-claim-add", colors_api()),
        {"key": "https://x.test/f", "source": "attribute", "attribute": field},
    )

    assert response.status_code == 400
    assert f"{field} is not one of the available choices" in response.content.decode()
    assert not CustomClaim.objects.exists()


def test_a_claim_an_administrator_put_in_id_tokens_stays_theirs(as_owner):
    claim = CustomClaim.objects.create(
        api=colors_api(), key="https://c.example.test/e", attribute="email", in_id_token=True
    )

    response = as_owner.post(url("publisher-claim-delete", colors_api(), claim.pk))

    assert response.status_code == 404
    assert CustomClaim.objects.filter(pk=claim.pk).exists()


def test_a_role_name_taken_in_this_api_is_refused(as_owner):
    role_with(colors_api(), "editor", "colors:read")

    response = add_role(as_owner, colors_api())

    assert response.status_code == 400
    assert "This API has a role named editor already." in response.content.decode()
    assert Role.objects.count() == 1


HOSTILE = ["x" * 5000, "edi\x00tor", "https://x.test/\x00a", " editor"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_is_a_form_error_and_changes_nothing(as_owner, user, value):
    role = role_with(colors_api(), "viewer", "colors:read")
    api = colors_api()

    responses = [
        add_role(as_owner, api, name=value),
        add_role(as_owner, api, name="ok", description=value),
        give(as_owner, role, value),
        as_owner.post(url("publisher-claim-add", api), {"key": value, "source": "groups"}),
        as_owner.post(
            url("publisher-claim-add", api),
            {"key": "https://x.test/a", "source": "attribute", "attribute": value},
        ),
    ]

    statuses = [response.status_code for response in responses]
    # A name with a leading space is trimmed by the form, so it is the only one that may pass.
    assert all(status in (400, 302) for status in statuses), statuses
    assert all(status == 400 for status in statuses[3:]), statuses
    if "\x00" in value or len(value) > 300:
        assert statuses[:3] == [400, 400, 400]
    assert not role.assignments.exists()
    assert not CustomClaim.objects.exists()
