"""A refresh token revoked because the user removed the app's access is not "reuse": the app
gets ``invalid_grant``, and the audit log says what happened, not that a token was stolen."""

import pytest

from oauth_portal.audit.models import AuditEvent
from tests.oauth_helpers import get_code, redeem, token_request

pytestmark = pytest.mark.django_db


def refresh(client, app, refresh_token):
    return token_request(
        client, app, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


def test_refresh_after_access_was_removed_is_invalid_grant_not_reuse(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read offline_access")
    tokens = redeem(signed_in, app, code, verifier).json()
    rotated = refresh(signed_in, app, tokens["refresh_token"]).json()

    signed_in.post(f"/accounts/apps/{app.pk}/revoke/")
    response = refresh(signed_in, app, rotated["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_REUSED).exists()
    presented = AuditEvent.objects.get(type=AuditEvent.Type.REFRESH_AFTER_REVOCATION)
    assert presented.application == app
    assert presented.get_type_display() == "Revoked refresh token presented"


def test_refresh_after_a_permission_was_removed_is_not_reuse_either(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read colors:write")
    tokens = redeem(signed_in, app, code, verifier).json()

    signed_in.post(f"/accounts/apps/{app.pk}/scopes/remove/", {"scope": "colors:write"})
    response = refresh(signed_in, app, tokens["refresh_token"])

    assert response.json()["error"] == "invalid_grant"
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_REUSED).exists()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_AFTER_REVOCATION).exists()


def test_a_rotated_token_presented_again_is_still_reuse(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    tokens = redeem(signed_in, app, code, verifier).json()
    refresh(signed_in, app, tokens["refresh_token"])

    replay = refresh(signed_in, app, tokens["refresh_token"])

    assert replay.json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_REUSED).count() == 1
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_AFTER_REVOCATION).exists()
