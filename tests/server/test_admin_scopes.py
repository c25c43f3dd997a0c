"""APIs and scopes in the admin: changes are recorded, a scope in use cannot be deleted (only
disabled), and a disabled scope is no longer granted while tokens carrying it keep working."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.api_catalogue import scope_usage
from oauth_portal.server.models import ApiResource, Consent, Scope
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    mint_access_token,
    pkce_pair,
    query_of,
)
from tests.server.admin_helpers import (
    form_and_inline_data,
    page_messages,
    run_action,
)

pytestmark = pytest.mark.django_db

SCOPES = "admin:portal_server_scope_changelist"


def inline_index(response, scope) -> int:
    formset = response.context["inline_admin_formsets"][0].formset
    return next(i for i, form in enumerate(formset.forms) if form.instance.pk == scope.pk)


@pytest.fixture
def api(db):
    return ApiResource.objects.create(
        name="Photos API", identifier="https://api.example.test/photos"
    )


@pytest.fixture
def photos_read(api):
    return Scope.objects.create(name="photos:read", description="See your photos", api=api)


def test_admin_creates_an_api_with_its_scopes_and_both_are_recorded(admin_client, admin_user):
    url = reverse("admin:portal_server_apiresource_add")
    data = form_and_inline_data(admin_client.get(url)) | {
        "name": "Calendar API",
        "identifier": "https://api.example.test/calendar",
        "description": "Events in your calendar",
        "scopes-0-name": "calendar:read",
        "scopes-0-description": "See your calendar",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    api = ApiResource.objects.get(name="Calendar API")
    scope = Scope.objects.get(name="calendar:read")
    assert (scope.api, scope.description, scope.is_active) == (api, "See your calendar", True)
    api_event = AuditEvent.objects.get(type=AuditEvent.Type.API_CHANGED)
    assert (api_event.actor, api_event.details["action"]) == (admin_user, "created")
    assert api_event.details["identifier"] == "https://api.example.test/calendar"
    scope_event = AuditEvent.objects.get(type=AuditEvent.Type.SCOPE_CHANGED)
    assert (scope_event.details["scope"], scope_event.details["action"]) == (
        "calendar:read",
        "created",
    )


def test_editing_a_scope_inline_records_only_the_scope_change(admin_client, api, photos_read):
    url = reverse("admin:portal_server_apiresource_change", args=[api.pk])
    page = admin_client.get(url)
    index = inline_index(page, photos_read)
    data = form_and_inline_data(page) | {f"scopes-{index}-description": "See your albums"}

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert Scope.objects.get(pk=photos_read.pk).description == "See your albums"
    event = AuditEvent.objects.get(type=AuditEvent.Type.SCOPE_CHANGED)
    assert event.details["fields"] == ["description"]
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.API_CHANGED).exists()


def test_unused_scope_is_deleted_and_recorded(admin_client, photos_read):
    response = admin_client.post(
        reverse("admin:portal_server_scope_delete", args=[photos_read.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Scope.objects.filter(pk=photos_read.pk).exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.SCOPE_CHANGED)
    assert (event.details["scope"], event.details["action"]) == ("photos:read", "deleted")


def test_scope_in_use_cannot_be_deleted_only_disabled(admin_client, photos_read):
    Consent.objects.create(
        user=UserFactory(), application=ApplicationFactory(), scope="photos:read"
    )
    url = reverse("admin:portal_server_scope_delete", args=[photos_read.pk])

    page = admin_client.get(url).content.decode()
    response = admin_client.post(url, {"post": "yes"})

    assert "The scope photos:read is in use (1 consents): disable it instead." in page
    assert response.status_code == 200
    assert Scope.objects.filter(pk=photos_read.pk).exists()
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.SCOPE_CHANGED).exists()


def test_bulk_delete_refuses_when_any_selected_scope_is_in_use(admin_client, photos_read, api):
    unused = Scope.objects.create(name="photos:write", description="Add photos", api=api)
    ApplicationFactory().allowed_scopes.add(photos_read)

    response = run_action(admin_client, "delete_selected", photos_read, unused, url_name=SCOPES)
    response = run_action(
        admin_client, "delete_selected", photos_read, unused, url_name=SCOPES, post="yes"
    )

    assert "is in use (1 clients)" in response.content.decode()
    assert Scope.objects.filter(pk__in=[photos_read.pk, unused.pk]).count() == 2


def test_scope_in_use_cannot_be_deleted_from_the_api_page(admin_client, api, photos_read):
    mint_access_token(user=UserFactory(), app=ApplicationFactory(), scope="photos:read")
    url = reverse("admin:portal_server_apiresource_change", args=[api.pk])
    page = admin_client.get(url)
    data = form_and_inline_data(page) | {f"scopes-{inline_index(page, photos_read)}-DELETE": "on"}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert errors == ["The scope photos:read is in use (1 live tokens): disable it instead."]
    assert Scope.objects.filter(pk=photos_read.pk).exists()


def test_api_with_scopes_cannot_be_deleted(admin_client, api, photos_read):
    url = reverse("admin:portal_server_apiresource_delete", args=[api.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 200
    assert "photos:read" in response.content.decode()
    assert ApiResource.objects.filter(pk=api.pk).exists()


@pytest.mark.parametrize(
    "use, in_use",
    [
        (lambda scope, app, user: None, {}),
        (
            lambda scope, app, user: Consent.objects.create(
                user=user, application=app, scope="openid photos:read"
            ),
            {"consents": 1},
        ),
        (
            lambda scope, app, user: mint_access_token(user=user, app=app, scope="photos:read"),
            {"live tokens": 1},
        ),
        (
            lambda scope, app, user: mint_access_token(
                user=user, app=app, scope="photos:read", expires_in=-60
            ),
            {},
        ),
        (lambda scope, app, user: app.required_scopes.add(scope), {"clients": 1}),
        (
            lambda scope, app, user: Consent.objects.create(
                user=user, application=app, scope="photos:readwrite"
            ),
            {},
        ),
    ],
    ids=["unused", "consent", "live-token", "expired-token", "required", "longer-name"],
)
def test_what_counts_as_in_use(photos_read, use, in_use):
    use(photos_read, ApplicationFactory(), UserFactory())

    assert scope_usage(scope=photos_read) == in_use


def test_disabled_scope_is_no_longer_granted_but_tokens_carrying_it_keep_working(
    admin_client, admin_user
):
    user = UserFactory(username="alice")
    app = ApplicationFactory()
    token = mint_access_token(user=user, app=app, scope="colors:read")
    colors_read = Scope.objects.get(name="colors:read")

    response = run_action(admin_client, "disable", colors_read, url_name=SCOPES)

    assert "Disabled 1 scope(s)." in page_messages(admin_client.get(response["Location"]))
    assert Scope.objects.get(pk=colors_read.pk).is_active is False
    api = Client().get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 200
    browser = Client()
    browser.force_login(user)
    _verifier, challenge = pkce_pair()
    refused = browser.get(authorize_url(authorize_params(app, challenge=challenge)))
    assert query_of(refused["Location"])["error"] == "invalid_scope"
    event = AuditEvent.objects.get(type=AuditEvent.Type.SCOPE_CHANGED)
    assert (event.actor, event.details["action"]) == (admin_user, "disabled")

    run_action(admin_client, "enable", colors_read, url_name=SCOPES)

    again = browser.get(authorize_url(authorize_params(app, challenge=challenge)))
    assert again.status_code == 200
    assert AuditEvent.objects.filter(type=AuditEvent.Type.SCOPE_CHANGED).count() == 2


def test_scope_actions_need_the_change_permission(photos_read):
    staff = UserFactory(username="helpdesk", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_scope"))
    client = Client()
    client.force_login(staff)

    run_action(client, "disable", photos_read, url_name=SCOPES)

    assert Scope.objects.get(pk=photos_read.pk).is_active
