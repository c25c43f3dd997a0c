"""Tokens, codes and consents in the admin: read-only, searchable, never showing a credential,
with a revoke action that takes down whole token families."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Consent
from tests.factories import UserFactory
from tests.oauth_helpers import get_code, mint_access_token
from tests.server.admin_helpers import (
    api_status,
    offered_actions,
    refresh,
    run_action,
    signed_in_client,
    staff_with,
    tokens_for,
)

pytestmark = pytest.mark.django_db

ACCESS_TOKENS = "admin:oauth2_provider_accesstoken_changelist"
REFRESH_TOKENS = "admin:oauth2_provider_refreshtoken_changelist"
GRANTS = "admin:oauth2_provider_grant_changelist"
ID_TOKENS = "admin:oauth2_provider_idtoken_changelist"
CONSENTS = "admin:portal_server_consent_changelist"


@pytest.fixture
def end_user(db):
    return UserFactory(username="alice", email="alice@example.test")


@pytest.fixture
def refreshed(end_user, app):
    """A family of two generations: the first tokens, and those its refresh token gave."""
    first = tokens_for(end_user, app)
    second = refresh(app, first["refresh_token"]).json()
    return first, second


def test_token_lists_show_checksum_prefixes_never_a_token(admin_client, refreshed):
    _first, second = refreshed
    access = AccessToken.objects.get()
    live_refresh = RefreshToken.objects.get(revoked__isnull=True)

    for url_name, row in ((ACCESS_TOKENS, access), (REFRESH_TOKENS, live_refresh)):
        page = admin_client.get(reverse(url_name)).content.decode()
        assert f"{row.token_checksum[:8]}…" in page
        assert row.token_checksum not in page
        detail = admin_client.get(
            reverse(url_name.replace("changelist", "change"), args=[row.pk])
        ).content.decode()
        assert row.token_checksum not in detail
        assert second["access_token"] not in page + detail
        assert second["refresh_token"] not in page + detail


def test_pending_codes_are_listed_without_the_code(admin_client, end_user, app):
    code, _verifier = get_code(signed_in_client(end_user), app)
    grant = Grant.objects.get()

    page = admin_client.get(reverse(GRANTS)).content.decode()
    detail = admin_client.get(
        reverse("admin:oauth2_provider_grant_change", args=[grant.pk])
    ).content.decode()

    assert "alice" in page
    assert code not in page + detail
    assert admin_client.get(reverse(GRANTS), {"q": code}).context["cl"].result_count == 0


def test_token_and_code_admins_are_read_only(admin_client, refreshed):
    access = AccessToken.objects.get()

    for url_name in (ACCESS_TOKENS, REFRESH_TOKENS, GRANTS, ID_TOKENS, CONSENTS):
        add_url = reverse(url_name.replace("changelist", "add"))
        assert admin_client.get(add_url).status_code == 403
    change_url = reverse("admin:oauth2_provider_accesstoken_change", args=[access.pk])
    assert admin_client.post(change_url, {"scope": "everything"}).status_code == 403
    delete_url = reverse("admin:oauth2_provider_accesstoken_delete", args=[access.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AccessToken.objects.get().scope == access.scope


@pytest.mark.parametrize("url_name", [ACCESS_TOKENS, REFRESH_TOKENS, ID_TOKENS, CONSENTS])
def test_credentials_are_searchable_by_user_and_client(admin_client, end_user, app, url_name):
    tokens_for(end_user, app)
    tokens_for(UserFactory(username="bob"), app)

    def found(query: str) -> int:
        return admin_client.get(reverse(url_name), {"q": query}).context["cl"].result_count

    assert found("alice") >= 1
    assert found("alice@example.test") >= 1
    assert found("nobody-by-that-name") == 0
    assert found(app.client_id) == found("alice") + found("bob")


def test_token_lists_filter_and_drill_down_by_date(admin_client, refreshed):
    def count(url_name: str, **params) -> int:
        return admin_client.get(reverse(url_name), params).context["cl"].result_count

    an_hour_ago = str(timezone.now() - timedelta(hours=1))
    assert count(ACCESS_TOKENS, created__gte=an_hour_ago) == 1
    assert count(ACCESS_TOKENS, created__lt=an_hour_ago) == 0
    assert count(ACCESS_TOKENS, state="live") == 1
    assert count(ACCESS_TOKENS, state="expired") == 0
    assert count(REFRESH_TOKENS, state="revoked") == 1
    assert count(REFRESH_TOKENS, state="active") == 1
    response = admin_client.get(reverse(ACCESS_TOKENS))
    assert response.context["cl"].date_hierarchy == "created"


def test_revoking_an_access_token_revokes_its_whole_family(admin_client, admin_user, refreshed):
    first, second = refreshed
    access = AccessToken.objects.get()

    response = run_action(admin_client, "revoke", access, url_name=ACCESS_TOKENS)

    assert response.status_code == 302
    assert api_status(Client(), second["access_token"]) == 401
    app = access.application
    assert refresh(app, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKEN_REVOKED)
    assert (event.actor, event.user, event.application) == (admin_user, access.user, app)
    assert event.details["via"] == "admin"


def test_revoking_an_access_token_without_refresh_token_deletes_it(admin_client, end_user, app):
    value = mint_access_token(user=end_user, app=app, scope="colors:read")
    assert api_status(Client(), value) == 200

    run_action(admin_client, "revoke", AccessToken.objects.get(), url_name=ACCESS_TOKENS)

    assert api_status(Client(), value) == 401
    assert not AccessToken.objects.exists()


def test_revoking_an_old_refresh_token_revokes_the_live_generation(admin_client, refreshed):
    first, second = refreshed
    old = RefreshToken.objects.get(revoked__isnull=False)

    run_action(admin_client, "revoke", old, url_name=REFRESH_TOKENS)

    assert api_status(Client(), second["access_token"]) == 401
    assert refresh(old.application, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(type=AuditEvent.Type.TOKEN_REVOKED).count() == 1


def test_revoking_a_dead_family_again_changes_and_records_nothing(admin_client, refreshed):
    tokens = list(RefreshToken.objects.all())
    run_action(admin_client, "revoke", *tokens, url_name=REFRESH_TOKENS)

    assert AuditEvent.objects.filter(type=AuditEvent.Type.TOKEN_REVOKED).count() == 1


def test_revoke_needs_the_change_permission(refreshed):
    _first, second = refreshed
    client = signed_in_client(staff_with("view_accesstoken", "view_refreshtoken"))

    response = client.get(reverse(ACCESS_TOKENS))
    assert response.status_code == 200
    assert offered_actions(response) == []

    run_action(client, "revoke", AccessToken.objects.get(), url_name=ACCESS_TOKENS)

    assert api_status(Client(), second["access_token"]) == 200


def test_admin_revokes_a_consent_and_the_tokens_it_allowed(admin_client, admin_user, end_user, app):
    tokens = tokens_for(end_user, app)
    consent = Consent.objects.get()
    page = admin_client.get(reverse(CONSENTS)).content.decode()
    assert "alice" in page and app.name in page

    run_action(admin_client, "revoke", consent, url_name=CONSENTS)

    assert not Consent.objects.exists()
    assert api_status(Client(), tokens["access_token"]) == 401
    assert AuditEvent.objects.get(type=AuditEvent.Type.CONSENT_REVOKED).user == end_user
    admin_event = AuditEvent.objects.get(type=AuditEvent.Type.ADMIN_ACTION)
    assert (admin_event.actor, admin_event.user, admin_event.application) == (
        admin_user,
        end_user,
        app,
    )
    assert admin_event.details == {"action": "consent_revoked"}


def test_id_tokens_are_listed_by_jti(admin_client, refreshed):
    id_token = IDToken.objects.first()

    page = admin_client.get(reverse(ID_TOKENS)).content.decode()

    assert str(id_token.jti) in page
