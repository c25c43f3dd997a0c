"""The app page and its actions: settings, secret rotation with a grace period, previous secrets,
the playground switch, usage, events, deletion; and another developer's app is a 404."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from oauth2_provider.models import get_access_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.portal import selectors
from oauth_portal.server import client_secret_lifecycle, clients
from oauth_portal.server.models import Application, ClientSecret, Consent, Scope
from tests.factories import UserFactory
from tests.oauth_helpers import mint_access_token
from tests.portal.helpers import PLAYGROUND_CALLBACK, HttpsClient, register

pytestmark = pytest.mark.django_db


def url(name: str, app, *args) -> str:
    return reverse(f"portal:{name}", args=[app.pk, *args])


def client_credentials(client, app, secret):
    auth = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def works(client, app, secret) -> bool:
    response = client_credentials(client, app, secret)
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


@pytest.fixture
def service(developer):
    return register(
        developer,
        name="Nightly sync",
        kind=Application.Kind.SERVICE,
        redirect_uris=[],
        allowed_scopes=[Scope.objects.get(name="colors:read")],
    )


def settings_data(app, **overrides) -> dict:
    data = {
        "name": app.name,
        "description": app.description,
        "redirect_uris": "https://palette.example.test/callback",
        "allowed_scopes": ["openid", "colors:read"],
        "required_scopes": [],
    }
    return {**data, **overrides}


def test_app_page_shows_settings_credentials_usage_and_events(portal, web_app, developer):
    app, _secret = web_app
    Consent.objects.create(user=UserFactory(), application=app, scope="openid")
    Consent.objects.create(user=UserFactory(), application=app, scope="openid")

    response = portal.get(url("application-detail", app))

    assert response.status_code == 200
    content = response.content.decode()
    assert app.client_id in content
    assert response.context["consent_count"] == 2
    assert "Client created" in content and "devon" in content
    assert "no-store" in response["Cache-Control"]
    # The playground's callback is managed by its switch, not typed into the settings.
    assert response.context["settings_form"]["redirect_uris"].value() == (
        "https://palette.example.test/callback"
    )
    assert response.context["playground_ready"] is True


def test_tokens_per_day_counts_issued_and_refreshed_tokens_of_this_app_only(web_app, developer):
    app, _secret = web_app
    other, _ = register(developer, name="Other")
    with freeze_time("2026-03-10 12:00"):
        for event in (AuditEvent.Type.TOKEN_ISSUED, AuditEvent.Type.TOKEN_REFRESHED):
            AuditEvent.objects.record(event=event, application=app)
        AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, application=other)
        AuditEvent.objects.record(event=AuditEvent.Type.CODE_ISSUED, application=app)
    with freeze_time("2026-03-12 08:00"):
        AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, application=app)
    with freeze_time("2026-01-01 08:00"):  # older than 30 days
        AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, application=app)

    with freeze_time("2026-03-12 18:00"):
        days = selectors.application_tokens_per_day(application=app)

    assert len(days) == 30
    assert days[-1] == (timezone.datetime(2026, 3, 12).date(), 1)
    assert days[-3] == (timezone.datetime(2026, 3, 10).date(), 2)
    assert sum(count for _day, count in days) == 3


def test_chart_draws_one_bar_per_day_scaled_to_the_busiest(portal, web_app):
    app, _secret = web_app
    AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, application=app)

    response = portal.get(url("application-detail", app))

    chart = response.context["chart"]
    assert len(chart["bars"]) == 30 and chart["total"] == 1
    assert chart["bars"][-1]["height"] == chart["height"]
    assert response.content.decode().count("<rect ") == 30


def test_settings_are_saved_through_the_service_with_the_changed_names(portal, web_app, developer):
    app, _secret = web_app
    data = settings_data(
        app,
        name="Palette Pro",
        redirect_uris="https://palette.example.test/callback\nhttps://palette.example.test/v2",
        required_scopes=["colors:read"],
    )

    response = portal.post(url("application-update", app), data)

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.name == "Palette Pro"
    assert app.redirect_uris.split() == [
        "https://palette.example.test/callback",
        "https://palette.example.test/v2",
        PLAYGROUND_CALLBACK,  # kept: the playground is still on
    ]
    assert {s.name for s in app.required_scopes.all()} == {"colors:read"}
    event = AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_CHANGED).latest("id")
    assert event.actor == developer
    assert event.details["fields"] == [
        "allowed_scopes",
        "name",
        "redirect_uris",
        "required_scopes",
    ]


def test_unchanged_settings_write_no_event(portal, web_app):
    app, _secret = web_app
    portal.post(url("application-update", app), settings_data(app))
    before = AuditEvent.objects.count()

    portal.post(url("application-update", app), settings_data(app))

    assert AuditEvent.objects.count() == before


def test_settings_unchanged_but_for_line_endings_or_the_playground_callback_write_no_event(
    portal, web_app
):
    app, _secret = web_app
    portal.post(url("application-update", app), settings_data(app))
    before = AuditEvent.objects.count()
    # Browsers send CRLF; the playground's callback is its switch's business.
    typed = f"https://palette.example.test/callback\r\n\r\n{PLAYGROUND_CALLBACK}\r\n"

    response = portal.post(url("application-update", app), settings_data(app, redirect_uris=typed))

    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


def test_invalid_settings_are_shown_on_the_app_page_and_change_nothing(portal, web_app):
    app, _secret = web_app
    before = Application.objects.get(pk=app.pk).redirect_uris

    response = portal.post(
        url("application-update", app),
        settings_data(app, name="Renamed", redirect_uris="http://palette.example.test/cb"),
    )

    assert response.status_code == 400
    assert [
        e.code for e in response.context["settings_form"].errors.as_data()["redirect_uris"]
    ] == ["insecure_redirect_uri"]
    app.refresh_from_db()
    assert (app.name, app.redirect_uris) == ("Palette", before)


def test_native_app_keeps_its_private_use_scheme_in_settings(portal, developer):
    app, _ = register(
        developer, kind=Application.Kind.NATIVE, redirect_uris=["com.example.palette:/cb"]
    )

    response = portal.post(
        url("application-update", app),
        settings_data(app, redirect_uris="com.example.palette:/cb\nhttp://127.0.0.1/cb"),
    )

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.redirect_uris.split() == ["com.example.palette:/cb", "http://127.0.0.1/cb"]


def test_rotation_shows_the_new_secret_once_and_both_work_during_the_grace(
    client, portal, service, developer
):
    app, old = service
    with freeze_time("2026-05-01 09:00:00"):
        response = portal.post(url("secret-rotate", app), {"grace": "86400"})
        new = response.context["client_secret"]

        assert response.status_code == 200
        assert response.templates[0].name == "portal/credentials.html"
        assert "no-store" in response["Cache-Control"]
        assert new in response.content.decode() and new != old
        assert works(client, app, new) and works(client, app, old)
    with freeze_time("2026-05-02 08:59:00"):
        assert works(client, app, old)
        page = portal.get(url("application-detail", app))
        rows = page.context["secret_rows"]
        assert [row["label"] for row in rows] == ["Current", "Previous"]
        assert rows[1]["previous_id"] == ClientSecret.objects.get().pk
        assert rows[1]["expires"] == "2 May 2026, 09:00 (in 1\xa0minute)"
    with freeze_time("2026-05-02 09:00:01"):
        assert not works(client, app, old)
        assert works(client, app, new)
        page = portal.get(url("application-detail", app))
        assert [row["label"] for row in page.context["secret_rows"]] == ["Current"]
    event = AuditEvent.objects.get(type=AuditEvent.Type.SECRET_ROTATED)
    assert (event.actor, event.details["grace_seconds"]) == (developer, 86400)
    stored = Application.objects.get(pk=app.pk).client_secret
    assert new not in stored and new not in str(event.details)


def test_rotation_without_grace_stops_the_old_secret_at_once(client, portal, service):
    app, old = service

    response = portal.post(url("secret-rotate", app), {"grace": "0"})

    assert not works(client, app, old)
    assert works(client, app, response.context["client_secret"])


def test_rotation_refuses_a_grace_period_not_offered(portal, service):
    app, old = service

    response = portal.post(url("secret-rotate", app), {"grace": "31536000"})

    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).client_secret == app.client_secret


def test_public_client_has_no_secret_to_rotate(portal, spa_app):
    response = portal.post(url("secret-rotate", spa_app), {"grace": "0"})

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.SECRET_ROTATED).exists()


def test_leaked_previous_secret_can_be_deleted_at_once(client, portal, service, developer):
    app, old = service
    portal.post(url("secret-rotate", app), {"grace": "604800"})
    previous = ClientSecret.objects.get()
    assert works(client, app, old)

    response = portal.post(url("secret-delete", app, previous.pk))

    assert response.status_code == 302
    assert not works(client, app, old)
    event = AuditEvent.objects.get(type=AuditEvent.Type.SECRET_DELETED)
    assert event.actor == developer


def test_app_page_shows_each_secrets_dates(portal, service):
    app, old = service
    with freeze_time("2026-05-01 09:00:00"):
        client = HttpsClient()
        works(client, app, old)
        portal.post(url("secret-rotate", app), {"grace": "3600"})
    with freeze_time("2026-05-01 09:30:00"):
        content = portal.get(url("application-detail", app)).content.decode()

    assert "1 May 2026, 10:00" in content  # the previous secret's expiry
    assert "Delete now" in content


def test_playground_switch_adds_and_removes_its_redirect_uri(portal, developer):
    app, _ = register(developer)

    portal.post(url("playground-toggle", app), {"enabled": "on"})
    app.refresh_from_db()
    assert app.playground_enabled
    assert PLAYGROUND_CALLBACK in app.redirect_uris.split()
    assert app.redirect_uri_allowed(PLAYGROUND_CALLBACK)

    portal.post(url("playground-toggle", app), {})
    app.refresh_from_db()
    assert not app.playground_enabled
    assert app.redirect_uris.split() == ["https://palette.example.test/callback"]
    assert not app.redirect_uri_allowed(PLAYGROUND_CALLBACK)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_CHANGED).count() == 2


def test_playground_cannot_be_turned_off_when_it_is_the_only_redirect_uri(portal, developer):
    app, _ = register(developer, redirect_uris=[], playground_enabled=True)

    response = portal.post(url("playground-toggle", app), {}, follow=True)

    app.refresh_from_db()
    assert app.playground_enabled and app.redirect_uris == PLAYGROUND_CALLBACK
    assert "redirect" in response.content.decode().lower()


def test_a_service_has_no_playground(portal, service):
    app, _ = service

    portal.post(url("playground-toggle", app), {"enabled": "on"})

    app.refresh_from_db()
    assert not app.playground_enabled and app.redirect_uris == ""


def test_delete_asks_first_then_revokes_everything(portal, web_app, developer):
    app, _ = web_app
    user = UserFactory()
    mint_access_token(user=user, app=app, scope="colors:read")
    Consent.objects.create(user=user, application=app, scope="colors:read")

    confirm = portal.get(url("application-delete", app))
    assert confirm.status_code == 200
    assert b"cannot be undone" in confirm.content
    assert Application.objects.filter(pk=app.pk).exists()

    response = portal.post(url("application-delete", app))

    assert response.status_code == 302 and response["Location"] == reverse("portal:index")
    assert not Application.objects.filter(pk=app.pk).exists()
    assert not get_access_token_model().objects.exists()
    assert not Consent.objects.exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_DELETED)
    assert (event.actor, event.details["client_id"]) == (developer, app.client_id)


def test_suspended_app_shows_why_and_gets_no_tokens(client, portal, service, developer):
    app, secret = service
    admin = UserFactory(is_staff=True)
    clients.application_suspend(application=app, actor=admin, reason="Abuse reported")

    page = portal.get(url("application-detail", app))
    response = client_credentials(client, app, secret)

    assert b"This app is suspended and cannot get tokens." in page.content
    assert b"Abuse reported" in page.content
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "unauthorized_client")


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "application-detail", ()),
        ("get", "application-delete", ()),
        ("post", "application-delete", ()),
        ("post", "application-update", ()),
        ("post", "secret-rotate", ()),
        ("post", "secret-delete", ("previous",)),
        ("post", "playground-toggle", ()),
    ],
)
def test_another_developers_app_is_a_404_and_nothing_changes(
    other_developer, service, method, name, extra
):
    app, secret = service
    client_secret_lifecycle.client_secret_rotate(
        application=app, actor=app.user, grace=timedelta(hours=1)
    )
    previous = ClientSecret.objects.get()
    args = [previous.pk if item == "previous" else item for item in extra]
    before = Application.objects.filter(pk=app.pk).values().get()
    events = AuditEvent.objects.count()
    intruder = HttpsClient()
    intruder.force_login(other_developer)

    response = getattr(intruder, method)(
        url(name, app, *args), {"grace": "0", "enabled": "on", "name": "Pwned"}
    )

    assert response.status_code == 404
    assert Application.objects.filter(pk=app.pk).values().get() == before
    assert ClientSecret.objects.filter(pk=previous.pk).exists()
    assert AuditEvent.objects.count() == events


def test_deleting_another_apps_previous_secret_through_my_app_does_nothing(
    portal, developer, other_developer
):
    mine, _ = register(developer, name="Mine")
    theirs, _ = register(other_developer, name="Theirs")
    client_secret_lifecycle.client_secret_rotate(
        application=theirs, actor=other_developer, grace=timedelta(1)
    )
    previous = ClientSecret.objects.get()

    portal.post(url("secret-delete", mine, previous.pk))

    assert ClientSecret.objects.filter(pk=previous.pk).exists()


@pytest.mark.parametrize(
    "name",
    ["application-update", "secret-rotate", "playground-toggle"],
)
def test_actions_are_post_only(portal, web_app, name):
    app, _ = web_app

    assert portal.get(url(name, app)).status_code == 405


def test_actions_need_a_csrf_token(developer, web_app):
    app, _ = web_app
    browser = HttpsClient(enforce_csrf_checks=True)
    browser.force_login(developer)

    response = browser.post(url("secret-rotate", app), {"grace": "0"})

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.SECRET_ROTATED).exists()
