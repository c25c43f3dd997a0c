"""Dynamic client registration (RFC 7591) and its management (RFC 7592): closed unless an
initial access token or the open-registration setting allows it, and a self-registered client
obeys every rule a portal client does."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import dynamic_registration
from oauth_portal.server.models import Application, InitialAccessToken
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    get_code,
    pkce_pair,
    query_of,
    redeem,
)

pytestmark = pytest.mark.django_db

REGISTER = "/o/register/"
WEB_CLIENT = {
    "client_name": "Partner web app",
    "redirect_uris": ["https://partner.example.test/callback"],
    "grant_types": ["authorization_code", "refresh_token"],
    "token_endpoint_auth_method": "client_secret_basic",
    "scope": "openid profile colors:read",
    "client_uri": "https://partner.example.test/",
}
NATIVE_CLIENT = {
    "client_name": "Desktop tool",
    "redirect_uris": ["http://127.0.0.1/callback"],
    "token_endpoint_auth_method": "none",
    "application_type": "native",
    "scope": "openid colors:read",
}


def register(client, metadata, *, token: str | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = metadata if isinstance(metadata, str | bytes) else json.dumps(metadata)
    return client.post(
        REGISTER,
        body,
        content_type=extra.pop("content_type", "application/json"),
        **headers,
        **extra,
    )


def issue_token(*, uses: int = 1, days: int = 7) -> str:
    _issued, token = dynamic_registration.initial_access_token_issue(
        name="partner", expires_at=timezone.now() + timedelta(days=days), uses=uses, actor=None
    )
    return token


@pytest.fixture
def open_registration(settings):
    settings.PORTAL_DYNAMIC_REGISTRATION_OPEN = True


# --- Who may register ------------------------------------------------------------------------


def test_registration_is_closed_by_default(client):
    response = register(client, WEB_CLIENT)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"  # RFC 6750: no token, no error code
    assert response.json()["error"] == "access_denied"
    assert not Application.objects.exists()


@pytest.mark.parametrize("token", ["made-up", "x" * 300])
def test_unknown_initial_access_token_is_invalid_token(client, open_registration, token):
    # A token that was sent is checked even when registration is open: no silent fallback.
    response = register(client, WEB_CLIENT, token=token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert not Application.objects.exists()


def test_initial_access_token_registers_a_confidential_client_with_a_hashed_secret(client):
    token = issue_token()
    response = register(client, WEB_CLIENT, token=token)

    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    app = Application.objects.get(client_id=body["client_id"])
    assert app.registration_source == Application.RegistrationSource.DCR
    assert app.user is None and app.status == Application.Status.ACTIVE
    assert app.client_secret != body["client_secret"]  # stored hashed, shown this once
    assert check_password(body["client_secret"], app.client_secret)
    assert body["client_secret_expires_at"] == 0
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["redirect_uris"] == WEB_CLIENT["redirect_uris"]
    assert set(body["scope"].split()) == {"openid", "profile", "colors:read"}
    assert body["registration_client_uri"] == f"http://testserver/o/register/{app.client_id}/"
    assert body["registration_access_token"]
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CREATED, application=app)
    assert event.details["registered_by"] == "dynamic"
    assert "client_secret" not in json.dumps(event.details)


def test_initial_access_token_is_spent_by_each_registration(client):
    token = issue_token(uses=1)
    assert register(client, WEB_CLIENT, token=token).status_code == 201
    second = register(client, WEB_CLIENT, token=token)
    assert second.status_code == 401
    assert second.json()["error"] == "invalid_token"
    assert Application.objects.count() == 1


def test_expired_or_revoked_initial_access_token_is_refused(client):
    expired = issue_token(days=-1)
    issued, revoked = dynamic_registration.initial_access_token_issue(
        name="revoked", expires_at=timezone.now() + timedelta(days=1), uses=5, actor=None
    )
    dynamic_registration.initial_access_token_revoke(initial_access_token=issued, actor=None)
    for token in (expired, revoked):
        assert register(client, WEB_CLIENT, token=token).status_code == 401
    assert not Application.objects.exists()


def test_clients_without_cookies_are_not_stopped_by_csrf(open_registration):
    from django.test import Client

    browserless = Client(enforce_csrf_checks=True)
    registered = register(browserless, NATIVE_CLIENT)
    assert registered.status_code == 201
    body = registered.json()
    path = body["registration_client_uri"].removeprefix("http://testserver")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {body['registration_access_token']}"}
    assert browserless.delete(path, **bearer).status_code == 204


def test_open_registration_registers_a_public_client_without_a_secret(client, open_registration):
    response = register(client, NATIVE_CLIENT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert "client_secret" not in body
    assert body["token_endpoint_auth_method"] == "none"
    assert body["application_type"] == "native"
    app = Application.objects.get(client_id=body["client_id"])
    assert app.is_public and app.kind == Application.Kind.NATIVE


def test_pending_when_approvals_are_required_and_nobody_can_sign_in(
    client, open_registration, settings, signed_in
):
    settings.PORTAL_REQUIRE_APPROVAL = True
    body = register(client, WEB_CLIENT).json()
    app = Application.objects.get(client_id=body["client_id"])
    assert app.status == Application.Status.PENDING

    _verifier, challenge = pkce_pair()
    page = signed_in.get(authorize_url(authorize_params(app, challenge=challenge, scope="openid")))
    assert page.status_code == 403
    assert b"awaiting approval" in page.content


# --- What a self-registered client may be ---------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uris",
    [
        ["http://partner.example.test/callback"],  # plain http off loopback
        ["https://partner.example.test/callback#frag"],
        ["https://*.example.test/callback"],
        ["/callback"],
        ["com.example.app:/callback"],  # private-use scheme: native apps only
        [],
    ],
)
def test_redirect_uris_follow_the_portal_rules(client, redirect_uris):
    token = issue_token()
    response = register(client, {**WEB_CLIENT, "redirect_uris": redirect_uris}, token=token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"
    assert not Application.objects.exists()
    # A refused registration spends nothing.
    assert InitialAccessToken.objects.get().uses_left == 1


@pytest.mark.parametrize(
    "change",
    [
        {"grant_types": ["implicit"]},
        {"grant_types": ["password"]},
        {"response_types": ["token"]},
        {"token_endpoint_auth_method": "private_key_jwt"},
        {"scope": "openid colors:delete-everything"},
        {"scope": ""},
        {"client_name": "nul\x00name"},
        {"redirect_uris": "https://partner.example.test/callback"},  # not an array
        {"client_uri": "not a url"},
        {"id_token_signed_response_alg": "none"},
        {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"},
    ],
)
def test_refused_metadata_is_invalid_client_metadata(client, open_registration, change):
    response = register(client, {**WEB_CLIENT, **change})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("[]", "application/json"),
        ("{not json", "application/json"),
        ("[" * 100_000 + "]" * 100_000, "application/json"),
        ("client_name=x", "application/x-www-form-urlencoded"),
        (json.dumps({**NATIVE_CLIENT, "client_name": "x" * 100_000}), "application/json"),
        (json.dumps({**NATIVE_CLIENT, "padding": "x" * 3_000_000}), "application/json"),
        (b'{"client_name": "\xff\xfe"}', "application/json"),
    ],
)
def test_hostile_bodies_are_400_not_500(client, open_registration, body, content_type):
    response = register(client, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_request")
    assert not Application.objects.exists()


def test_without_scope_a_client_gets_the_openid_scopes_only(client, open_registration, signed_in):
    metadata = {k: v for k, v in NATIVE_CLIENT.items() if k != "scope"}
    body = register(client, metadata).json()
    # offline_access (OpenID Connect Core 11) is every client's to ask for.
    assert set(body["scope"].split()) == {"openid", "profile", "email", "offline_access"}

    app = Application.objects.get(client_id=body["client_id"])
    _verifier, challenge = pkce_pair()
    response = signed_in.get(
        authorize_url(authorize_params(app, challenge=challenge, scope="openid colors:read"))
    )
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_scope"


def test_registered_client_runs_the_code_flow_with_pkce(client, signed_in):
    body = register(client, WEB_CLIENT, token=issue_token()).json()
    app = Application.objects.get(client_id=body["client_id"])

    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    tokens = redeem(client, app, code, verifier, secret=body["client_secret"])

    assert tokens.status_code == 200, tokens.content
    assert tokens.json()["scope"] == "openid colors:read"
    api = client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access_token']}")
    assert api.status_code == 200


def test_registered_client_without_pkce_is_refused(client, signed_in):
    body = register(client, WEB_CLIENT, token=issue_token()).json()
    app = Application.objects.get(client_id=body["client_id"])
    params = authorize_params(app, challenge="unused", scope="openid")
    del params["code_challenge"], params["code_challenge_method"]
    response = signed_in.get(authorize_url(params))
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_admin_sees_and_suspends_a_registered_client(client, admin_client, signed_in):
    body = register(client, WEB_CLIENT, token=issue_token()).json()
    app = Application.objects.get(client_id=body["client_id"])
    listed = admin_client.get("/admin/portal_server/application/?registration_source__exact=dcr")
    assert app.name.encode() in listed.content
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    access = redeem(client, app, code, verifier, secret=body["client_secret"]).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access['access_token']}"}
    assert client.get("/api/colors/", **bearer).status_code == 200

    admin_client.post(
        "/admin/portal_server/application/",
        {"action": "suspend", "_selected_action": [app.pk], "reason": "spam", "confirm": "1"},
    )

    assert Application.objects.get(pk=app.pk).status == Application.Status.SUSPENDED
    assert client.get("/api/colors/", **bearer).status_code == 401


# --- RFC 7592: read, update, delete ----------------------------------------------------------


@pytest.fixture
def registered(client, open_registration):
    return register(client, WEB_CLIENT).json()


def manage(client, method: str, registered: dict, *, token: str | None = None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token or registered['registration_access_token']}"}
    path = registered["registration_client_uri"].removeprefix("http://testserver")
    call = getattr(client, method)
    if body is None:
        return call(path, **headers)
    return call(path, json.dumps(body), content_type="application/json", **headers)


def test_read_returns_the_metadata_without_the_secret(client, registered):
    response = manage(client, "get", registered)
    assert response.status_code == 200
    body = response.json()
    assert body["client_id"] == registered["client_id"]
    assert body["redirect_uris"] == WEB_CLIENT["redirect_uris"]
    assert "client_secret" not in body
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_management_needs_the_clients_own_registration_token(client, registered, method):
    other = register(client, NATIVE_CLIENT).json()
    for token in ("made-up", other["registration_access_token"]):
        response = manage(
            client, method, registered, token=token, body={} if method == "put" else None
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    path = registered["registration_client_uri"].removeprefix("http://testserver")
    assert getattr(client, method)(path).status_code == 401
    assert Application.objects.filter(client_id=registered["client_id"]).exists()


def test_update_replaces_metadata_and_rotates_the_registration_token(client, registered):
    new_uris = ["https://partner.example.test/new-callback"]
    update = {**WEB_CLIENT, "client_id": registered["client_id"], "redirect_uris": new_uris}
    update["registration_access_token"] = "echoed back, ignored"
    response = manage(client, "put", registered, body=update)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["redirect_uris"] == new_uris
    assert body["registration_access_token"] != registered["registration_access_token"]
    assert Application.objects.get(client_id=registered["client_id"]).redirect_uris == new_uris[0]
    assert manage(client, "get", registered).status_code == 401  # the old token is gone
    assert manage(client, "get", body).status_code == 200
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_CHANGED).exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": "someone-else"}, "invalid_client_metadata"),
        ({"client_secret": "wrong"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata"),
        ({"redirect_uris": ["http://evil.example.test/cb"]}, "invalid_redirect_uri"),
    ],
)
def test_refused_update_changes_nothing(client, registered, change, error):
    update = {**WEB_CLIENT, "client_id": registered["client_id"], **change}
    response = manage(client, "put", registered, body=update)
    assert response.status_code == 400
    assert response.json()["error"] == error
    app = Application.objects.get(client_id=registered["client_id"])
    assert app.redirect_uris == WEB_CLIENT["redirect_uris"][0]
    assert manage(client, "get", registered).status_code == 200  # token not rotated


def test_delete_removes_the_client_and_its_registration(client, registered):
    response = manage(client, "delete", registered)
    assert response.status_code == 204
    assert not Application.objects.filter(client_id=registered["client_id"]).exists()
    assert manage(client, "get", registered).status_code == 401
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CLIENT_DELETED).exists()


# --- Rate limit and CORS ---------------------------------------------------------------------


def test_registrations_per_address_are_limited(client, open_registration, settings):
    settings.PORTAL_RATELIMIT_REGISTRATION_PER_IP = "2/h"
    for _ in range(2):
        assert register(client, NATIVE_CLIENT).status_code == 201
    limited = register(client, NATIVE_CLIENT)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert Application.objects.count() == 2
    # Another address is not affected.
    assert register(client, NATIVE_CLIENT, REMOTE_ADDR="198.51.100.7").status_code == 201


def test_browser_registration_follows_the_cors_rules(client, settings):
    settings.PORTAL_CORS_EXTRA_ORIGINS = ["https://spa.example.test"]
    preflight = {
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "content-type",
    }
    allowed = client.options(REGISTER, HTTP_ORIGIN="https://spa.example.test", **preflight)
    assert allowed["Access-Control-Allow-Origin"] == "https://spa.example.test"
    stranger = client.options(REGISTER, HTTP_ORIGIN="https://stranger.example.test", **preflight)
    assert "Access-Control-Allow-Origin" not in stranger


# --- The admin issues initial access tokens --------------------------------------------------


def test_admin_issues_an_initial_access_token_shown_once(client, admin_client):
    response = admin_client.post(
        "/admin/portal_server/initialaccesstoken/add/",
        {"name": "ACME onboarding", "valid_days": 3, "uses": 2},
    )
    assert response.status_code == 200
    token = response.context["token"]
    assert token.encode() in response.content
    issued = InitialAccessToken.objects.get(name="ACME onboarding")
    assert token not in issued.token_digest and issued.uses_left == 2
    assert (
        token.encode()
        not in admin_client.get(
            f"/admin/portal_server/initialaccesstoken/{issued.pk}/change/"
        ).content
    )

    assert register(client, WEB_CLIENT, token=token).status_code == 201
    assert InitialAccessToken.objects.get(pk=issued.pk).uses_left == 1
