"""What the token, revocation and introspection endpoints refuse: each with the exact RFC 6749
error, and nothing issued (or, for a replayed code or refresh token, everything revoked)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, get_code, redeem, token_request

pytestmark = pytest.mark.django_db
AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()


def api_status(client, access_token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def test_wrong_verifier_is_invalid_grant_and_issues_nothing(signed_in, app):
    code, _verifier = get_code(signed_in, app)
    response = redeem(signed_in, app, code, "x" * 50)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_missing_verifier_is_refused(signed_in, app):
    code, _verifier = get_code(signed_in, app)
    response = token_request(
        signed_in,
        app,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uris,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert AccessToken.objects.count() == 0


def test_reused_code_fails_and_revokes_tokens_from_first_redemption(signed_in, app):
    code, verifier = get_code(signed_in, app)
    first = redeem(signed_in, app, code, verifier).json()
    assert api_status(signed_in, first["access_token"]) == 200

    second = redeem(signed_in, app, code, verifier)

    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert api_status(signed_in, first["access_token"]) == 401
    refresh = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CODE_REUSED, application=app).count() == 1


def test_wrong_client_secret_is_invalid_client(signed_in, app):
    code, verifier = get_code(signed_in, app)
    response = redeem(signed_in, app, code, verifier, secret="wrong-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert AccessToken.objects.count() == 0
    assert Grant.objects.count() == 1  # the code is not burnt by a failed client authentication


def test_confidential_client_without_secret_is_invalid_client(signed_in, app):
    code, verifier = get_code(signed_in, app)
    response = signed_in.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uris,
            "code_verifier": verifier,
            "client_id": app.client_id,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_code_is_bound_to_its_client(signed_in, app):
    other = ApplicationFactory()
    code, verifier = get_code(signed_in, app)
    response = token_request(
        signed_in,
        other,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uris,
            "code_verifier": verifier,
        },
    )
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_code_is_bound_to_its_redirect_uri(signed_in, db):
    app = ApplicationFactory(
        redirect_uris="https://client.example.test/callback https://client.example.test/other"
    )
    code, verifier = get_code(signed_in, app)
    response = redeem(
        signed_in, app, code, verifier, redirect_uri="https://client.example.test/other"
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}
    assert AccessToken.objects.count() == 0


def test_expired_code_is_invalid_grant(signed_in, app):
    code, verifier = get_code(signed_in, app)
    grant = Grant.objects.get()
    assert grant.expires - grant.created <= timedelta(seconds=60)
    Grant.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = redeem(signed_in, app, code, verifier)
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_reused_refresh_token_fails_and_revokes_its_family(signed_in, app):
    code, verifier = get_code(signed_in, app)
    first = redeem(signed_in, app, code, verifier).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = token_request(signed_in, app, refresh).json()

    replay = token_request(signed_in, app, refresh)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert api_status(signed_in, second["access_token"]) == 401
    later = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    )
    assert later.json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    reuse = AuditEvent.objects.filter(type=AuditEvent.Type.REFRESH_REUSED).last()
    assert reuse.application == app


def test_refresh_cannot_widen_scope(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    first = redeem(signed_in, app, code, verifier).json()
    response = token_request(
        signed_in,
        app,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "scope": "openid colors:read colors:write",
        },
    )
    assert response.json()["error"] == "invalid_scope"


def test_unsupported_grant_types_are_refused(client, app):
    for grant_type in [
        "password",
        "implicit",
        "urn:example:made-up",
    ]:
        response = token_request(
            client, app, {"grant_type": grant_type, "username": "a", "password": "b"}
        )
        assert response.status_code in {400, 401}
        assert response.json()["error"] == "unsupported_grant_type"
    assert AccessToken.objects.count() == 0


def test_token_responses_are_not_cached(signed_in, app):
    code, verifier = get_code(signed_in, app)
    ok = redeem(signed_in, app, code, verifier)
    failed = redeem(signed_in, app, code, verifier)
    for response in (ok, failed):
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/o/introspect/", "/o/revoke_token/"])
def test_introspection_and_revocation_require_client_authentication(signed_in, app, path):
    code, verifier = get_code(signed_in, app)
    tokens = redeem(signed_in, app, code, verifier).json()
    response = signed_in.post(path, {"token": tokens["access_token"]})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert api_status(signed_in, tokens["access_token"]) == 200


def test_introspection_describes_a_live_token_to_an_authenticated_client(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    tokens = redeem(signed_in, app, code, verifier).json()
    response = signed_in.post(
        "/o/introspect/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == app.client_id
    assert body["scope"] == "openid colors:read"
    assert signed_in.post(
        "/o/introspect/", {"token": "nope"}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    ).json() == {"active": False}


def test_revoked_access_token_is_refused_at_the_api(signed_in, app):
    code, verifier = get_code(signed_in, app)
    tokens = redeem(signed_in, app, code, verifier).json()
    response = signed_in.post(
        "/o/revoke_token/",
        {"token": tokens["access_token"]},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert response.status_code == 200
    assert api_status(signed_in, tokens["access_token"]) == 401


def test_suspended_app_cannot_get_or_use_tokens(signed_in, app):
    code, verifier = get_code(signed_in, app)
    tokens = redeem(signed_in, app, code, verifier).json()
    app.status = app.Status.SUSPENDED
    app.save()

    assert api_status(signed_in, tokens["access_token"]) == 401
    refresh = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", ["/o/token/", "/o/introspect/", "/o/revoke_token/"])
def test_client_endpoints_need_no_csrf_token(app, path):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        path,
        {"grant_type": "client_credentials", "token": "x"},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
    )
    assert response.status_code != 403
    assert response["Content-Type"].startswith("application/json") or response.status_code == 200
