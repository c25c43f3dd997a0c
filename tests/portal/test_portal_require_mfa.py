"""A developer makes their app require two-step verification from the portal."""

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def settings_data(app, **overrides) -> dict:
    data = {
        "name": app.name,
        "description": app.description,
        "redirect_uris": "https://palette.example.test/callback",
        "allowed_scopes": ["openid", "colors:read"],
        "required_scopes": [],
    }
    return {**data, **overrides}


def test_developer_turns_require_mfa_on_and_off(portal, web_app):
    app, _secret = web_app
    page = portal.get(reverse("portal:application-detail", args=[app.pk])).content.decode()
    assert "Require two-step verification" in page

    update = reverse("portal:application-update", args=[app.pk])
    assert portal.post(update, settings_data(app, require_mfa="on")).status_code == 302
    app.refresh_from_db()
    assert app.require_mfa is True
    event = AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_CHANGED).latest("id")
    assert "require_mfa" in event.details["fields"]

    portal.post(update, settings_data(app))
    app.refresh_from_db()
    assert app.require_mfa is False
