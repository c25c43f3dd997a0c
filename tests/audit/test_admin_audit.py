"""The audit log: every event type the admin console promises is written, none holds a secret or
token; the admin's read-only view filters and exports it; ``prune_audit`` trims it; the
dashboard draws it."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import ApiResource, Application
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    basic_auth,
    consent_form_data,
    get_code,
    pkce_pair,
    query_of,
    redeem,
)
from tests.server.admin_helpers import admin_form_data, refresh, run_action

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
WRONG_PASSWORD = "Wr0ng-but-Memorable-Pa55"
AUDIT_LIST = "admin:portal_audit_auditevent_changelist"

# What the issue asks to be on the record.
LISTED_TYPES = [
    AuditEvent.Type.SIGN_IN_SUCCEEDED,
    AuditEvent.Type.SIGN_IN_FAILED,
    AuditEvent.Type.SIGN_IN_LOCKED_OUT,
    AuditEvent.Type.CONSENT_GRANTED,
    AuditEvent.Type.CONSENT_DENIED,
    AuditEvent.Type.CONSENT_REVOKED,
    AuditEvent.Type.CODE_ISSUED,
    AuditEvent.Type.TOKEN_ISSUED,
    AuditEvent.Type.TOKEN_REFRESHED,
    AuditEvent.Type.TOKEN_REVOKED,
    AuditEvent.Type.TOKENS_REVOKED,
    AuditEvent.Type.CODE_REUSED,
    AuditEvent.Type.REFRESH_REUSED,
    AuditEvent.Type.CLIENT_CREATED,
    AuditEvent.Type.CLIENT_CHANGED,
    AuditEvent.Type.CLIENT_SUSPENDED,
    AuditEvent.Type.CLIENT_REACTIVATED,
    AuditEvent.Type.CLIENT_APPROVED,
    AuditEvent.Type.CLIENT_DELETED,
    AuditEvent.Type.SECRET_ROTATED,
    AuditEvent.Type.SCOPE_CHANGED,
    AuditEvent.Type.API_CHANGED,
    AuditEvent.Type.ADMIN_ACTION,
]


def sign_in(client, username, password, address="127.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def authorize(client, app):
    verifier, challenge = pkce_pair()
    return client.get(authorize_url(authorize_params(app, challenge=challenge))), verifier


def everything_recorded() -> str:
    rows = AuditEvent.objects.values("type", "details", "user_agent", "ip_address")
    return json.dumps(list(rows), default=str)


def test_every_listed_event_is_recorded_and_none_holds_a_credential(admin_client, settings):
    settings.PORTAL_REQUIRE_APPROVAL = True
    settings.AXES_FAILURE_LIMIT = 5
    alice = UserFactory(username="alice")
    UserFactory(username="mallory")
    credentials = [PASSWORD, WRONG_PASSWORD]

    # An admin creates a client (approved at once, since an admin made it).
    page = admin_client.get(reverse("admin:portal_server_application_add"))
    data = admin_form_data(page) | {
        "name": "Audited app",
        "user": str(alice.pk),
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
        "redirect_uris": "https://audited.example.test/callback",
        "algorithm": Application.RS256_ALGORITHM,
    }
    created = admin_client.post(reverse("admin:portal_server_application_add"), data)
    secret = created.context["rotated"][0]["secret"]
    app = Application.objects.get(name="Audited app")
    credentials.append(secret)

    # Sign-ins: a failure, a lockout (from another address), a success.
    browser = Client()
    sign_in(browser, "alice", WRONG_PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(Client(), "mallory", WRONG_PASSWORD, address="203.0.113.9")
    assert sign_in(browser, "alice", PASSWORD).status_code == 302

    # Consent denied, then granted; a code redeemed twice; a refresh token replayed.
    page, _verifier = authorize(browser, app)
    browser.post("/o/authorize/", consent_form_data(page))
    code, verifier = get_code(browser, app)
    first = redeem(browser, app, code, verifier, secret=secret).json()
    replayed_code = redeem(browser, app, code, verifier, secret=secret)
    assert replayed_code.json()["error"] == "invalid_grant"
    response, verifier = authorize(browser, app)  # consent stored: straight back with a code
    second_code = query_of(response["Location"])["code"]
    second = redeem(browser, app, second_code, verifier, secret=secret).json()
    third = refresh(app, second["refresh_token"], secret=secret).json()
    assert refresh(app, second["refresh_token"], secret=secret).json()["error"] == "invalid_grant"
    response, verifier = authorize(browser, app)
    last_code = query_of(response["Location"])["code"]
    last = redeem(browser, app, last_code, verifier, secret=secret).json()
    browser.post(
        "/o/revoke_token/",
        {"token": last["access_token"], "token_type_hint": "access_token"},
        HTTP_AUTHORIZATION=basic_auth(app.client_id, secret),
    )
    browser.post(reverse("accounts:connected-app-revoke", args=[app.pk]))
    credentials += [code, second_code, last_code]
    for tokens in (first, second, third, last):
        credentials += [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]

    # The admin edits, rotates, suspends, reactivates, revokes, exports and deletes.
    change_url = reverse("admin:portal_server_application_change", args=[app.pk])
    admin_client.post(change_url, admin_form_data(admin_client.get(change_url)) | {"name": "Re"})
    rotated = run_action(admin_client, "rotate_secret", app, confirm="yes", grace="0")
    credentials.append(rotated.context["rotated"][0]["secret"])
    run_action(admin_client, "suspend", app, confirm="yes", reason="Audit test")
    run_action(admin_client, "reactivate", app)
    run_action(admin_client, "revoke_tokens", app)
    api_page = admin_client.get(reverse("admin:portal_server_apiresource_add"))
    admin_client.post(
        reverse("admin:portal_server_apiresource_add"),
        admin_form_data(api_page)
        | {
            "name": "Audited API",
            "identifier": "https://api.example.test/audited",
            "scopes-TOTAL_FORMS": "1",
            "scopes-INITIAL_FORMS": "0",
            "scopes-0-name": "audited:read",
            "scopes-0-description": "Read audited things",
            "scopes-0-is_active": "on",
        },
    )
    assert ApiResource.objects.filter(name="Audited API").exists()
    run_action(
        admin_client, "export_csv", AuditEvent.objects.first(), url_name=AUDIT_LIST
    ).getvalue()
    admin_client.post(
        reverse("admin:portal_server_application_delete", args=[app.pk]), {"post": "yes"}
    )

    recorded = set(AuditEvent.objects.values_list("type", flat=True))
    assert [t for t in LISTED_TYPES if t not in recorded] == []
    text = everything_recorded()
    for credential in credentials:
        assert credential and credential not in text, f"{credential[:6]}… leaked into the log"


# --- The admin view of the log --------------------------------------------------------------------


@pytest.fixture
def events(db):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    app, other = ApplicationFactory(name="Watched"), ApplicationFactory(name="Other")
    AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, user=alice, application=app)
    AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, user=bob, application=other)
    AuditEvent.objects.record(event=AuditEvent.Type.SIGN_IN_FAILED, user=bob)
    AuditEvent.objects.record(event=AuditEvent.Type.CLIENT_CHANGED, actor=alice, application=other)
    return alice, bob, app, other


def listed(admin_client, **params) -> list[AuditEvent]:
    return list(admin_client.get(reverse(AUDIT_LIST), params).context["cl"].result_list)


def test_audit_log_filters_by_type_client_person_and_date(admin_client, events):
    alice, bob, app, other = events

    assert {e.type for e in listed(admin_client, type__exact="sign_in.failed")} == {
        "sign_in.failed"
    }
    assert [e.application for e in listed(admin_client, application__id__exact=app.pk)] == [app]
    assert {e.pk for e in listed(admin_client, person="alice")} == {
        e.pk for e in AuditEvent.objects.filter(user=alice) | AuditEvent.objects.filter(actor=alice)
    }
    hour_ago = timezone.now() - timedelta(hours=1)
    assert len(listed(admin_client, created__gte=str(hour_ago))) == 4
    assert listed(admin_client, created__lt=str(hour_ago)) == []
    page = admin_client.get(reverse(AUDIT_LIST), {"person": "alice", "q": "Watched"})
    assert 'name="person" value="alice"' in page.content.decode()
    assert '<input type="hidden" name="q" value="Watched">' in page.content.decode()


def test_audit_log_is_read_only(admin_client, events):
    event = AuditEvent.objects.first()

    assert admin_client.get(reverse("admin:portal_audit_auditevent_add")).status_code == 403
    change = reverse("admin:portal_audit_auditevent_change", args=[event.pk])
    assert admin_client.post(change, {"type": "admin.action"}).status_code == 403
    delete = reverse("admin:portal_audit_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 4


def test_csv_export_holds_the_selected_events_and_is_itself_recorded(
    admin_client, admin_user, events
):
    alice, bob, app, other = events
    selected = AuditEvent.objects.filter(application=app)

    response = run_action(admin_client, "export_csv", *selected, url_name=AUDIT_LIST)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["type"], r["user"], r["client_id"]) for r in rows] == [
        ("token.issued", "alice", app.client_id)
    ]
    export = AuditEvent.objects.get(type=AuditEvent.Type.ADMIN_ACTION)
    assert (export.actor, export.details) == (admin_user, {"action": "audit_exported", "rows": 1})


def test_csv_export_defuses_spreadsheet_formulas(admin_client, events):
    event = AuditEvent.objects.record(event=AuditEvent.Type.SIGN_IN_FAILED, attempted_username="x")
    AuditEvent.objects.filter(pk=event.pk).update(user_agent='=HYPERLINK("http://evil")')

    response = run_action(admin_client, "export_csv", event, url_name=AUDIT_LIST)

    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["user_agent"] == '\'=HYPERLINK("http://evil")'


def test_staff_without_audit_permission_cannot_read_or_export(events):
    staff = UserFactory(username="helpdesk", is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.get(reverse(AUDIT_LIST)).status_code == 403
    response = run_action(client, "export_csv", AuditEvent.objects.first(), url_name=AUDIT_LIST)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.ADMIN_ACTION).exists()


# --- prune_audit ----------------------------------------------------------------------------------


def test_prune_audit_deletes_only_events_older_than_asked(capsys):
    with freeze_time("2026-01-01 12:00:00"):
        for _ in range(5):
            AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED)
    with freeze_time("2026-03-25 12:00:00"):
        recent = AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED)

    with freeze_time("2026-04-10 12:00:00"):
        call_command("prune_audit", "--older-than", "90d", "--batch-size", "2")

    assert "Deleted 5 audit event(s) older than 90d." in capsys.readouterr().out
    assert list(AuditEvent.objects.filter(type=AuditEvent.Type.TOKEN_ISSUED)) == [recent]
    pruned = AuditEvent.objects.get(type=AuditEvent.Type.ADMIN_ACTION)
    assert pruned.details["action"] == "audit_pruned" and pruned.details["deleted"] == 5


def test_prune_audit_accepts_hours(capsys):
    with freeze_time("2026-01-01 00:00:00"):
        AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED)
    with freeze_time("2026-01-01 05:00:00"):
        kept = AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED)
    with freeze_time("2026-01-01 13:00:00"):
        call_command("prune_audit", "--older-than", "12h")

    assert list(AuditEvent.objects.filter(type=AuditEvent.Type.TOKEN_ISSUED)) == [kept]


@pytest.mark.parametrize("age", ["90", "90m", "-1d", "d", "ninety days"])
def test_prune_audit_refuses_an_unclear_age(age, db):
    AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED)

    with pytest.raises(CommandError, match="90d or 12h"):
        call_command("prune_audit", f"--older-than={age}")

    assert AuditEvent.objects.count() == 1


# --- Dashboard ------------------------------------------------------------------------------------


def test_dashboard_draws_the_last_30_days_as_svg_charts(admin_client):
    app = ApplicationFactory(name="Busiest client")
    quiet = ApplicationFactory(name="Quiet client")
    with freeze_time(timezone.now() - timedelta(days=3)):
        for _ in range(3):
            AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, application=app)
        AuditEvent.objects.record(event=AuditEvent.Type.SIGN_IN_FAILED)
    with freeze_time(timezone.now() - timedelta(days=45)):  # too old to count
        AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_ISSUED, application=quiet)
    AuditEvent.objects.record(event=AuditEvent.Type.TOKEN_REFRESHED, application=app)
    AuditEvent.objects.record(event=AuditEvent.Type.REFRESH_REUSED, application=app)
    Application.objects.filter(pk=quiet.pk).update(status=Application.Status.PENDING)

    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    tokens, sign_ins, reuse = dashboard["charts"]
    assert len(tokens["bars"]) == 30
    assert [item["total"] for item in tokens["legend"]] == [3, 1]
    assert tokens["bars"][-4]["title"].endswith(": 3 issued, 0 refreshed")
    assert (sign_ins["total"], reuse["total"]) == (1, 1)
    assert [c["name"] for c in dashboard["most_active_clients"]] == ["Busiest client"]
    assert dashboard["most_active_clients"][0]["count"] == 4
    statuses = {s["status"]: s["count"] for s in dashboard["client_statuses"]}
    assert statuses == {"active": 1, "pending": 1, "suspended": 0}
    assert len(dashboard["recent_reuse_detections"]) == 1
    page = response.content.decode()
    assert page.count('<svg class="chart"') == 3
    assert (
        "<script" not in page.split('<section class="portal-dashboard"')[1].split("</section>")[0]
    )
    assert "Tokens issued per day" in page and "Busiest client" in page
    assert "Audit events" in page  # the app list is still there


def test_dashboard_on_an_empty_database(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert response.content.decode().count("No events") == 3
