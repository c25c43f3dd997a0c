"""The client admin, driven through its own HTTP views as a staff user would: the list, each
action (approve, suspend, reactivate, first-party, rotate secret, revoke tokens), creating,
editing and deleting; each judged by what the protocol endpoints answer afterwards."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import clients
from oauth_portal.server.models import Application, Consent, Scope
from tests.factories import (
    CLIENT_SECRET,
    ApplicationFactory,
    PublicApplicationFactory,
    UserFactory,
)
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    mint_access_token,
    pkce_pair,
    query_of,
    token_request,
)
from tests.server.admin_helpers import (
    CHANGELIST,
    admin_form_data,
    api_status,
    offered_actions,
    page_messages,
    refresh,
    run_action,
    signed_in_client,
    staff_with,
    tokens_for,
)

pytestmark = pytest.mark.django_db


def client_credentials(app, secret: str):
    data = {"grant_type": "client_credentials", "scope": "colors:read"}
    return token_request(Client(), app, data, secret=secret)


@pytest.fixture
def end_user(db):
    return UserFactory(username="alice", email="alice@example.test")


@pytest.fixture
def service_app(db):
    return ApplicationFactory(
        name="Nightly sync", authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )


# --- Access -------------------------------------------------------------------------------------


def test_non_staff_user_is_sent_to_the_admin_sign_in(end_user, app):
    client = signed_in_client(end_user)

    for url in (reverse("admin:index"), reverse(CHANGELIST)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(
        reverse(CHANGELIST),
        {"action": "suspend", "_selected_action": [app.pk], "confirm": "yes", "reason": "x"},
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).status == Application.Status.ACTIVE


def test_staff_without_change_permission_sees_clients_but_no_actions(app):
    client = signed_in_client(staff_with("view_application"))

    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert app.name in response.content.decode()
    assert offered_actions(response) == []

    for action, fields in [
        ("suspend", {"confirm": "yes", "reason": "abuse"}),
        ("mark_first_party", {}),
        ("rotate_secret", {"confirm": "yes", "grace": "0"}),
        ("revoke_tokens", {}),
    ]:
        response = run_action(client, action, app, **fields)
        assert response.status_code == 200  # the list again: no action runs
    app.refresh_from_db()
    assert (app.status, app.skip_authorization) == (Application.Status.ACTIVE, False)
    assert not AuditEvent.objects.filter(actor__username="helpdesk").exists()
    assert (
        client.post(reverse("admin:portal_server_application_delete", args=[app.pk])).status_code
        == 403
    )


def test_staff_with_change_permission_is_offered_every_action(app):
    client = signed_in_client(staff_with("view_application", "change_application"))

    response = client.get(reverse(CHANGELIST))

    assert set(offered_actions(response)) >= {
        "approve",
        "suspend",
        "reactivate",
        "mark_first_party",
        "mark_not_first_party",
        "rotate_secret",
        "revoke_tokens",
    }
    assert "delete_selected" not in offered_actions(response)


# --- The list -----------------------------------------------------------------------------------


def test_client_list_shows_owner_kind_status_users_and_live_tokens(admin_client, end_user):
    owner = UserFactory(username="devon", email="devon@example.test")
    busy = ApplicationFactory(name="Busy app", user=owner)
    quiet = PublicApplicationFactory(name="Quiet app", allowed_origins="https://spa.example.test")
    for index in range(3):
        person = UserFactory(username=f"person{index}")
        Consent.objects.create(user=person, application=busy, scope="openid")
        mint_access_token(user=person, app=busy, scope="openid")
    mint_access_token(user=end_user, app=busy, scope="openid", expires_in=-60)  # expired

    response = admin_client.get(reverse(CHANGELIST))

    rows = {row.name: row for row in response.context["cl"].result_list}
    assert (rows["Busy app"].authorized_users, rows["Busy app"].live_tokens) == (3, 3)
    assert (rows["Quiet app"].authorized_users, rows["Quiet app"].live_tokens) == (0, 0)
    page = response.content.decode()
    for text in ("devon", "Web", "SPA", "Active", "Busy app", quiet.name):
        assert text in page


def test_client_list_queries_do_not_grow_with_the_number_of_clients(admin_client):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(CHANGELIST)).status_code == 200
        return len(captured)

    ApplicationFactory.create_batch(2)
    few = list_queries()
    ApplicationFactory.create_batch(15)
    assert list_queries() == few


@pytest.mark.parametrize(
    "query, expected",
    [
        ("devon", {"Devon's app"}),
        ("devon@example.test", {"Devon's app"}),
        ("Other", {"Other app"}),
    ],
)
def test_client_list_searches_name_owner_and_email(admin_client, query, expected):
    ApplicationFactory(name="Devon's app", user=UserFactory(username="devon"))
    ApplicationFactory(name="Other app")

    response = admin_client.get(reverse(CHANGELIST), {"q": query})

    assert {app.name for app in response.context["cl"].result_list} == expected


def test_client_list_searches_client_id(admin_client):
    wanted = ApplicationFactory(name="Wanted")
    ApplicationFactory(name="Unwanted")

    response = admin_client.get(reverse(CHANGELIST), {"q": wanted.client_id})

    assert [app.name for app in response.context["cl"].result_list] == ["Wanted"]


def test_client_list_filters_by_status_and_by_derived_kind(admin_client, service_app):
    web = ApplicationFactory(name="Web app")
    native = PublicApplicationFactory(name="Native app")
    spa = PublicApplicationFactory(name="SPA", allowed_origins="https://spa.example.test")
    Application.objects.filter(pk=web.pk).update(status=Application.Status.SUSPENDED)

    def names(**params) -> set[str]:
        response = admin_client.get(reverse(CHANGELIST), params)
        return {app.name for app in response.context["cl"].result_list}

    assert names(status__exact="suspended") == {"Web app"}
    assert names(kind="web") == {"Web app"}
    assert names(kind="native") == {native.name}
    assert names(kind="spa") == {spa.name}
    assert names(kind="service") == {service_app.name}


# --- Suspend and reactivate ---------------------------------------------------------------------


def test_suspend_asks_for_a_reason_first_and_changes_nothing_until_confirmed(admin_client, app):
    response = run_action(admin_client, "suspend", app)

    assert response.status_code == 200
    assert "admin/portal_server/application/action_confirmation.html" in [
        t.name for t in response.templates
    ]
    assert app.name in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == Application.Status.ACTIVE

    response = run_action(admin_client, "suspend", app, confirm="yes", reason="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert Application.objects.get(pk=app.pk).status == Application.Status.ACTIVE


def test_suspended_client_loses_its_tokens_and_cannot_authenticate(
    admin_client, admin_user, app, end_user
):
    tokens = tokens_for(end_user, app)
    assert api_status(Client(), tokens["access_token"]) == 200

    response = run_action(admin_client, "suspend", app, confirm="yes", reason="Scraping users")

    assert response.status_code == 302
    assert "Suspended 1 client." in page_messages(admin_client.get(response["Location"]))
    app.refresh_from_db()
    assert (app.status, app.suspension_reason) == (Application.Status.SUSPENDED, "Scraping users")
    assert api_status(Client(), tokens["access_token"]) == 401
    assert refresh(app, tokens["refresh_token"]).json()["error"] == "invalid_client"
    assert client_credentials(app, CLIENT_SECRET).json()["error"] == "invalid_client"
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_SUSPENDED)
    assert (event.actor, event.application) == (admin_user, app)
    assert event.details["reason"] == "Scraping users"


def test_suspended_machine_client_gets_invalid_client(admin_client, service_app):
    assert client_credentials(service_app, CLIENT_SECRET).status_code == 200

    run_action(admin_client, "suspend", service_app, confirm="yes", reason="Leaked secret")

    response = client_credentials(service_app, CLIENT_SECRET)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_suspended_client_shows_users_an_error_instead_of_consent(admin_client, app, end_user):
    run_action(admin_client, "suspend", app, confirm="yes", reason="Phishing")

    _verifier, challenge = pkce_pair()
    response = signed_in_client(end_user).get(
        authorize_url(authorize_params(app, challenge=challenge))
    )

    assert response.status_code == 403
    assert "suspended" in response.content.decode()


def test_reactivated_client_works_again_but_old_tokens_stay_dead(admin_client, app, end_user):
    before = tokens_for(end_user, app)
    run_action(admin_client, "suspend", app, confirm="yes", reason="Investigating")

    response = run_action(admin_client, "reactivate", app)

    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.suspension_reason) == (Application.Status.ACTIVE, "")
    assert api_status(Client(), before["access_token"]) == 401
    after = tokens_for(end_user, app)
    assert api_status(Client(), after["access_token"]) == 200
    assert AuditEvent.objects.filter(
        type=AuditEvent.Type.CLIENT_REACTIVATED, application=app
    ).exists()


def test_reactivate_leaves_active_and_pending_clients_alone(admin_client, app):
    pending = ApplicationFactory(status=Application.Status.PENDING)

    response = run_action(admin_client, "reactivate", app, pending)

    assert "Skipped 2: not suspended." in page_messages(admin_client.get(response["Location"]))[0]
    assert Application.objects.get(pk=pending.pk).status == Application.Status.PENDING
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_REACTIVATED).exists()


# --- Approval (PORTAL_REQUIRE_APPROVAL) ---------------------------------------------------------


def test_approving_a_pending_client_lets_other_users_sign_in(
    admin_client, admin_user, settings, end_user
):
    settings.PORTAL_REQUIRE_APPROVAL = True
    developer = UserFactory(username="devon")
    app, _secret = clients.application_register(
        owner=developer,
        name="Devon's app",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://devon.example.test/callback",
        algorithm=Application.RS256_ALGORITHM,
        secret=CLIENT_SECRET,
    )
    assert app.status == Application.Status.PENDING
    _verifier, challenge = pkce_pair()
    url = authorize_url(authorize_params(app, challenge=challenge))
    assert signed_in_client(developer).get(url).status_code == 200  # the developer may test it
    assert signed_in_client(end_user).get(url).status_code == 403

    response = run_action(admin_client, "approve", app)

    assert "Approved 1 client." in page_messages(admin_client.get(response["Location"]))
    assert Application.objects.get(pk=app.pk).status == Application.Status.ACTIVE
    assert signed_in_client(end_user).get(url).status_code == 200
    assert "Devon" in signed_in_client(end_user).get(url).content.decode()
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_APPROVED)
    assert (event.actor, event.application) == (admin_user, app)


def test_approve_skips_clients_that_are_not_pending(admin_client, app):
    suspended = ApplicationFactory(status=Application.Status.SUSPENDED)

    run_action(admin_client, "approve", app, suspended)

    assert Application.objects.get(pk=suspended.pk).status == Application.Status.SUSPENDED
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_APPROVED).exists()


def test_pending_clients_are_one_filter_away(admin_client, app):
    pending = ApplicationFactory(name="Awaiting", status=Application.Status.PENDING)

    response = admin_client.get(reverse(CHANGELIST), {"status__exact": "pending"})

    assert [row.pk for row in response.context["cl"].result_list] == [pending.pk]


# --- First-party --------------------------------------------------------------------------------


def test_first_party_client_skips_the_consent_page(admin_client, app, end_user):
    _verifier, challenge = pkce_pair()
    url = authorize_url(authorize_params(app, challenge=challenge))
    assert signed_in_client(end_user).get(url).status_code == 200  # the consent page

    run_action(admin_client, "mark_first_party", app)

    response = signed_in_client(end_user).get(url)
    assert response.status_code == 302
    assert query_of(response["Location"])["code"]
    assert response["Location"].startswith(app.redirect_uris)
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CHANGED, application=app)
    assert event.details == {"fields": ["skip_authorization"], "first_party": True}

    run_action(admin_client, "mark_not_first_party", app)

    assert signed_in_client(end_user).get(url).status_code == 200
    assert Application.objects.get(pk=app.pk).skip_authorization is False


# --- Secrets ------------------------------------------------------------------------------------


def test_rotate_secret_asks_for_a_grace_period_first(admin_client, service_app):
    response = run_action(admin_client, "rotate_secret", service_app)

    assert response.status_code == 200
    assert "grace" in response.context["form"].fields
    assert client_credentials(service_app, CLIENT_SECRET).status_code == 200


def test_rotated_secret_is_shown_once_works_and_the_old_one_fails(
    admin_client, admin_user, service_app
):
    response = run_action(admin_client, "rotate_secret", service_app, confirm="yes", grace="0")

    assert response.status_code == 200  # rendered as the answer: never a redirect
    assert "admin/portal_server/application/secret_shown_once.html" in [
        t.name for t in response.templates
    ]
    new_secret = response.context["rotated"][0]["secret"]
    assert new_secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert client_credentials(service_app, new_secret).status_code == 200
    old = client_credentials(service_app, CLIENT_SECRET)
    assert (old.status_code, old.json()["error"]) == (401, "invalid_client")
    # Stored hashed, and never put anywhere a later page could show it.
    stored = Application.objects.get(pk=service_app.pk).client_secret
    assert new_secret not in stored
    assert not page_messages(response)
    assert new_secret not in admin_client.get(reverse(CHANGELIST)).content.decode()
    change_page = admin_client.get(
        reverse("admin:portal_server_application_change", args=[service_app.pk])
    )
    assert new_secret not in change_page.content.decode()
    event = AuditEvent.objects.get(type=AuditEvent.Type.SECRET_ROTATED)
    assert (event.actor, event.application, event.details["grace_seconds"]) == (
        admin_user,
        service_app,
        0,
    )


def test_rotated_secret_with_grace_keeps_the_old_secret_working(admin_client, service_app):
    response = run_action(admin_client, "rotate_secret", service_app, confirm="yes", grace="86400")

    new_secret = response.context["rotated"][0]["secret"]
    assert client_credentials(service_app, new_secret).status_code == 200
    assert client_credentials(service_app, CLIENT_SECRET).status_code == 200
    change_page = admin_client.get(
        reverse("admin:portal_server_application_change", args=[service_app.pk])
    ).content.decode()
    assert "accepted until" in change_page


def test_rotate_secret_skips_public_clients(admin_client, public_app):
    response = run_action(admin_client, "rotate_secret", public_app, confirm="yes", grace="0")

    assert response.status_code == 302
    assert "Public clients have no secret." in page_messages(admin_client.get(response["Location"]))
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.SECRET_ROTATED).exists()


# --- Revoke all tokens --------------------------------------------------------------------------


def test_revoke_all_tokens_kills_access_and_refresh_tokens(admin_client, app, end_user):
    tokens = tokens_for(end_user, app)
    other_app = ApplicationFactory()
    other = tokens_for(end_user, other_app)

    response = run_action(admin_client, "revoke_tokens", app)

    assert response.status_code == 302
    assert api_status(Client(), tokens["access_token"]) == 401
    assert refresh(app, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_status(Client(), other["access_token"]) == 200
    assert Application.objects.get(pk=app.pk).status == Application.Status.ACTIVE
    assert AuditEvent.objects.get(type=AuditEvent.Type.TOKENS_REVOKED).application == app


# --- Create, change and delete through the form --------------------------------------------------


def test_admin_creates_a_client_and_sees_its_secret_once(admin_client, admin_user, settings):
    settings.PORTAL_REQUIRE_APPROVAL = True
    owner = UserFactory(username="devon")
    colors_read = Scope.objects.get(name="colors:read")
    page = admin_client.get(reverse("admin:portal_server_application_add"))
    data = admin_form_data(page) | {
        "name": "Partner dashboard",
        "user": str(owner.pk),
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
        "algorithm": Application.RS256_ALGORITHM,
        "kind": Application.Kind.SERVICE,
        "allowed_scopes": [str(colors_read.pk)],
    }

    response = admin_client.post(reverse("admin:portal_server_application_add"), data)

    assert response.status_code == 200, response.context["adminform"].form.errors
    app = Application.objects.get(name="Partner dashboard")
    secret = response.context["rotated"][0]["secret"]
    assert secret in response.content.decode()
    assert secret not in app.client_secret
    assert (app.user, app.status) == (owner, Application.Status.ACTIVE)
    assert list(app.allowed_scopes.all()) == [colors_read]
    assert client_credentials(app, secret).status_code == 200
    created = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CREATED)
    assert (created.actor, created.application) == (admin_user, app)


def test_change_form_never_shows_the_secret_or_its_hash(admin_client, app):
    response = admin_client.get(reverse("admin:portal_server_application_change", args=[app.pk]))

    page = response.content.decode()
    stored = Application.objects.get(pk=app.pk).client_secret
    assert CLIENT_SECRET not in page
    assert stored.split("$")[-1] not in page
    assert 'name="client_secret"' not in page
    assert "portal_hmac_sha256 hash" in page
    assert "last used never" in page


def test_saving_the_change_form_records_what_changed(admin_client, admin_user, app):
    url = reverse("admin:portal_server_application_change", args=[app.pk])
    colors_read = Scope.objects.get(name="colors:read")
    data = admin_form_data(admin_client.get(url)) | {
        "name": "Renamed app",
        "allowed_scopes": [str(colors_read.pk)],
        "required_scopes": [str(colors_read.pk)],
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    app.refresh_from_db()
    assert app.name == "Renamed app"
    assert list(app.allowed_scopes.all()) == list(app.required_scopes.all()) == [colors_read]
    assert Application.objects.get(pk=app.pk).client_secret.startswith("portal_hmac_sha256$")
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CHANGED)
    assert event.actor == admin_user
    assert event.details["fields"] == ["allowed_scopes", "name", "required_scopes"]


def test_change_form_refuses_an_insecure_redirect_uri(admin_client, app):
    url = reverse("admin:portal_server_application_change", args=[app.pk])
    data = admin_form_data(admin_client.get(url)) | {"redirect_uris": "http://evil.example/cb"}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["redirect_uris"]
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_CHANGED).exists()


def test_deleting_a_client_goes_through_the_service(admin_client, admin_user, app, end_user):
    tokens = tokens_for(end_user, app)
    url = reverse("admin:portal_server_application_delete", args=[app.pk])
    confirmation = admin_client.get(url)
    assert confirmation.status_code == 200
    assert not confirmation.context["perms_lacking"]

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Application.objects.filter(pk=app.pk).exists()
    assert api_status(Client(), tokens["access_token"]) == 401
    assert not AccessToken.objects.exists() and not RefreshToken.objects.exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_DELETED)
    assert (event.actor, event.details["client_id"]) == (admin_user, app.client_id)


def test_bulk_delete_records_each_client(admin_client):
    apps = ApplicationFactory.create_batch(2)

    response = run_action(admin_client, "delete_selected", *apps, post="yes")

    assert response.status_code == 302
    assert not Application.objects.exists()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_DELETED).count() == 2


def test_change_page_links_to_the_clients_audit_log(admin_client, app):
    clients.application_tokens_revoke(application=app, actor=None)
    ApplicationFactory()
    page = admin_client.get(reverse("admin:portal_server_application_change", args=[app.pk]))
    assert f"application__id__exact={app.pk}" in page.content.decode()

    response = admin_client.get(
        reverse("admin:portal_audit_auditevent_changelist"), {"application__id__exact": app.pk}
    )

    assert [event.application for event in response.context["cl"].result_list] == [app]


def test_token_lifetime_of_live_tokens_uses_expiry(admin_client, app, end_user):
    mint_access_token(user=end_user, app=app, scope="openid", expires_in=30)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = admin_client.get(reverse(CHANGELIST))

    assert response.context["cl"].result_list[0].live_tokens == 0
