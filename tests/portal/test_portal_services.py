"""The portal's services and selectors, called directly as an admin action or a command would."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from oauth_portal.audit.models import AuditEvent
from oauth_portal.portal import selectors, services
from oauth_portal.server import clients
from oauth_portal.server.models import Application, Scope
from tests.portal.helpers import PLAYGROUND_CALLBACK, register

pytestmark = pytest.mark.django_db


def settings_data(**overrides) -> dict:
    data = {
        "name": "Palette",
        "description": "",
        "homepage_url": "",
        "logo_url": "",
        "privacy_policy_url": "",
        "terms_url": "",
        "redirect_uris": ["https://palette.example.test/callback"],
        "post_logout_redirect_uris": [],
        "allowed_origins": [],
        "allowed_scopes": list(Scope.objects.filter(name__in=["openid"])),
        "required_scopes": [],
    }
    return {**data, **overrides}


def test_register_records_who_created_it_and_returns_the_secret_once(developer):
    app, secret = register(developer, playground_enabled=True)

    assert app.user == developer and app.algorithm == Application.RS256_ALGORITHM
    assert secret and secret not in Application.objects.get(pk=app.pk).client_secret
    assert app.redirect_uris.split()[-1] == PLAYGROUND_CALLBACK
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CREATED)
    assert (event.actor, event.details["kind"]) == (developer, "web")


def test_register_with_approval_required_starts_pending(developer, settings):
    settings.PORTAL_REQUIRE_APPROVAL = True

    app, _ = register(developer)

    assert app.status == Application.Status.PENDING


def test_playground_switch_is_idempotent_and_keeps_other_uris(developer):
    app, _ = register(developer)

    for _ in range(2):
        services.application_playground_set(
            application=app, actor=developer, enabled=True, callback_url=PLAYGROUND_CALLBACK
        )
    assert app.redirect_uris.split().count(PLAYGROUND_CALLBACK) == 1

    services.application_playground_set(
        application=app, actor=developer, enabled=False, callback_url=PLAYGROUND_CALLBACK
    )
    assert Application.objects.get(pk=app.pk).redirect_uris == (
        "https://palette.example.test/callback"
    )


def test_playground_switch_refuses_a_service(developer):
    app, _ = register(developer, kind=Application.Kind.SERVICE, redirect_uris=[])

    with pytest.raises(ValidationError) as refused:
        services.application_playground_set(
            application=app, actor=developer, enabled=True, callback_url=PLAYGROUND_CALLBACK
        )

    assert refused.value.code == "playground_needs_sign_in"
    assert not Application.objects.get(pk=app.pk).playground_enabled


def test_settings_change_records_the_changed_names_and_nothing_when_none(developer):
    app, _ = register(developer)
    events = AuditEvent.objects.count()

    for changed in ([], ["description"]):
        services.portal_application_settings_change(
            application=app,
            actor=developer,
            data=settings_data(description="Now with a description"),
            changed=changed,
            playground_callback_url=PLAYGROUND_CALLBACK,
        )

    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("id")
    assert event.type == AuditEvent.Type.CLIENT_CHANGED
    assert event.details["fields"] == ["description"]
    assert Application.objects.get(pk=app.pk).description == "Now with a description"


def test_settings_refused_by_the_model_change_nothing(developer):
    app, _ = register(developer)
    scopes = list(Scope.objects.filter(name="colors:read"))

    with pytest.raises(ValidationError):
        services.portal_application_settings_change(
            application=app,
            actor=developer,
            data=settings_data(
                redirect_uris=["http://plain.example.test/cb"], allowed_scopes=scopes
            ),
            changed=["allowed_scopes", "redirect_uris"],
            playground_callback_url=PLAYGROUND_CALLBACK,
        )

    stored = Application.objects.get(pk=app.pk)
    assert stored.redirect_uris == "https://palette.example.test/callback"
    assert not stored.allowed_scopes.exists()


def test_applications_for_owner_is_empty_for_anonymous_users(developer):
    register(developer)

    assert not clients.applications_for_owner(owner=AnonymousUser()).exists()
    assert clients.applications_for_owner(owner=developer).count() == 1


def test_scope_catalogue_leaves_out_inactive_scopes():
    Scope.objects.filter(name="colors:write").update(is_active=False)

    groups = {g["title"]: [s.name for s in g["scopes"]] for g in selectors.scope_catalogue()}

    assert groups["Colors API"] == ["colors:read"]
