"""The portal's settings form switches a client to "refresh tokens only with offline_access",
and the client then gets no refresh token without it."""

import pytest
from django.test import Client
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db


def settings_data(app, **overrides) -> dict:
    return {
        "name": app.name,
        "description": app.description,
        "redirect_uris": app.redirect_uris.split()[0],
        "allowed_scopes": ["openid", "colors:read"],
        "required_scopes": [],
        **overrides,
    }


def test_the_app_page_offers_the_strict_switch(portal, web_app):
    app, _secret = web_app

    html = portal.get(reverse("portal:application-detail", args=[app.pk])).content.decode()

    assert 'name="refresh_tokens_need_offline_access"' in html
    assert "Refresh tokens only with offline_access" in html


def test_the_switch_is_saved_and_the_client_gets_no_refresh_token_without_it(
    portal, web_app, developer
):
    app, secret = web_app
    update = reverse("portal:application-update", args=[app.pk])

    response = portal.post(update, settings_data(app, refresh_tokens_need_offline_access="on"))

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.refresh_tokens_need_offline_access
    changed = AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_CHANGED).latest("id")
    assert "refresh_tokens_need_offline_access" in changed.details["fields"]
    browser = Client()
    browser.force_login(UserFactory(username="alice"))
    code, verifier = get_code(browser, app, scope="openid colors:read")
    tokens = redeem(browser, app, code, verifier, secret=secret).json()
    assert "access_token" in tokens and "refresh_token" not in tokens
