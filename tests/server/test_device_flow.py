"""The device flow (RFC 8628) as a device, its user and a guesser see it: the device
authorization endpoint, polling errors in RFC 6749 JSON, the verification page and consent."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time
from oauth2_provider.models import get_access_token_model, get_device_grant_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
FORM = "application/x-www-form-urlencoded"
AccessToken = get_access_token_model()
DeviceGrant = get_device_grant_model()


@pytest.fixture
def device_app(db):
    return ApplicationFactory(
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        redirect_uris="",
        name="Living-room TV",
    )


def post_form(client, path, data, **extra):
    return client.post(path, urlencode(data, doseq=True), content_type=FORM, **extra)


def start(client, app, scope="openid profile"):
    response = post_form(
        client, "/o/device-authorization/", {"client_id": app.client_id, "scope": scope}
    )
    assert response.status_code == 200, response.content
    return response.json()


def poll(client, app, device_code):
    data = {"grant_type": DEVICE_GRANT, "client_id": app.client_id}
    if device_code is not None:
        data["device_code"] = device_code
    return post_form(client, "/o/token/", data)


def approve(client, user_code, *, allow=True):
    page = client.post("/o/device/", {"user_code": user_code})
    assert page.status_code == 200
    data = {"user_code": page.context["form"]["user_code"].value()}
    data["granted_scope"] = [row["name"] for row in page.context["scope_rows"]]
    if allow:
        data["allow"] = "true"
    return client.post("/o/device/decide/", data)


def test_device_authorization_answers_rfc8628_fields(client, device_app):
    body = start(client, device_app)
    assert set(body) >= {"device_code", "user_code", "verification_uri", "expires_in", "interval"}
    assert body["verification_uri"] == "http://testserver/o/device/"
    assert body["verification_uri_complete"].endswith(f"?user_code={body['user_code']}")
    assert body["expires_in"] == 600
    assert len(body["user_code"]) == 9 and body["user_code"][4] == "-"
    assert set(body["user_code"].replace("-", "")) <= set("BCDFGHJKLMNPQRSTVWXZ")
    # Only a hash of the device code is kept.
    assert not DeviceGrant.objects.filter(device_code=body["device_code"]).exists()


def test_discovery_lists_the_device_authorization_endpoint(client):
    document = client.get("/o/.well-known/openid-configuration").json()
    assert document["device_authorization_endpoint"] == "http://testserver/o/device-authorization/"
    assert DEVICE_GRANT in document["grant_types_supported"]


def test_client_not_registered_for_the_device_grant_is_unauthorized(client, public_app):
    response = post_form(
        client, "/o/device-authorization/", {"client_id": public_app.client_id, "scope": "openid"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert DeviceGrant.objects.count() == 0


def test_scope_the_client_may_not_ask_for_is_invalid_scope(client, device_app):
    response = post_form(
        client, "/o/device-authorization/", {"client_id": device_app.client_id, "scope": "nope"}
    )
    assert response.json()["error"] == "invalid_scope"
    assert DeviceGrant.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [({"client_id": "unknown", "scope": "openid"}, FORM), ({"scope": "openid"}, FORM)],
)
def test_unknown_or_missing_client_is_refused_as_json(client, data, content_type):
    response = client.post("/o/device-authorization/", urlencode(data), content_type=content_type)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_wrong_content_type_is_invalid_request(client, device_app):
    response = client.post(
        "/o/device-authorization/", {"client_id": device_app.client_id, "scope": "openid"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_pending_then_slow_down_raises_the_interval_by_five_seconds(client, device_app):
    with freeze_time() as clock:
        body = start(client, device_app)
        clock.tick(timedelta(seconds=6))
        assert poll(client, device_app, body["device_code"]).json()["error"] == (
            "authorization_pending"
        )
        clock.tick(timedelta(seconds=1))
        slow = poll(client, device_app, body["device_code"])
        assert slow.status_code == 400
        assert slow.json()["error"] == "slow_down"
        clock.tick(timedelta(seconds=6))  # less than the new interval of 10 s
        assert poll(client, device_app, body["device_code"]).json()["error"] == "slow_down"
        clock.tick(timedelta(seconds=16))  # more than 15 s
        assert poll(client, device_app, body["device_code"]).json()["error"] == (
            "authorization_pending"
        )


def test_approved_device_gets_tokens_once(client, device_app, user):
    body = start(client, device_app)
    browser = Client()
    browser.force_login(user)
    done = approve(browser, body["user_code"])
    assert "Return to your device" in done.content.decode()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.DEVICE_APPROVED, user=user).exists()

    with freeze_time(timedelta(seconds=10)):
        tokens = poll(client, device_app, body["device_code"])
        assert tokens.status_code == 200, tokens.content
        assert tokens["Cache-Control"] == "no-store"
        assert tokens.json()["scope"] == "openid profile"
        assert AccessToken.objects.get().user == user

        again = poll(client, device_app, body["device_code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 1


def test_a_device_approved_by_a_user_deactivated_since_gets_no_tokens(client, device_app, user):
    body = start(client, device_app)
    browser = Client()
    browser.force_login(user)
    approve(browser, body["user_code"])
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    with freeze_time(timedelta(seconds=10)):
        response = poll(client, device_app, body["device_code"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_denied_device_gets_access_denied(client, device_app, user):
    body = start(client, device_app)
    browser = Client()
    browser.force_login(user)
    done = approve(browser, body["user_code"], allow=False)
    assert "Access denied" in done.content.decode()
    assert AuditEvent.objects.filter(type=AuditEvent.Type.DEVICE_DENIED, user=user).exists()
    with freeze_time(timedelta(seconds=10)):
        response = poll(client, device_app, body["device_code"])
    assert response.json()["error"] == "access_denied"
    assert AccessToken.objects.count() == 0


def test_expired_device_code_is_expired_token(client, device_app, user):
    body = start(client, device_app)
    with freeze_time(timedelta(minutes=11)):
        response = poll(client, device_app, body["device_code"])
        assert response.json()["error"] == "expired_token"
        browser = Client()
        browser.force_login(user)
        page = browser.post("/o/device/", {"user_code": body["user_code"]})
    assert page.status_code == 400
    assert "not valid" in page.content.decode()


@pytest.mark.parametrize("device_code", ["not-a-device-code", "", None])
def test_unknown_or_missing_device_code_is_rfc6749_json(client, device_app, device_code):
    response = poll(client, device_app, device_code)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    expected = "invalid_grant" if device_code else "invalid_request"
    assert response.json()["error"] == expected


def test_another_client_cannot_redeem_a_device_code(client, device_app, user):
    body = start(client, device_app)
    other = ApplicationFactory(
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        redirect_uris="",
    )
    browser = Client()
    browser.force_login(user)
    approve(browser, body["user_code"])
    with freeze_time(timedelta(seconds=10)):
        response = poll(client, other, body["device_code"])
    assert response.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0


def test_user_code_is_case_and_dash_insensitive(client, device_app, user):
    body = start(client, device_app)
    browser = Client()
    browser.force_login(user)
    typed = body["user_code"].replace("-", " ").lower()
    page = browser.post("/o/device/", {"user_code": typed})
    assert page.status_code == 200
    assert "Living-room TV" in page.content.decode()
    assert body["user_code"] in page.content.decode()


def test_verification_uri_complete_fills_the_code_in_but_decides_nothing(signed_in, settings):
    """A GET never looks a code up, so another site cannot spend the user's tries with it."""
    settings.PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_USER = "1/10m"
    for _ in range(3):
        page = signed_in.get("/o/device/", {"user_code": "BBBB-BBBB"})
        assert page.status_code == 200
        assert page.context["form"]["user_code"].value() == "BBBB-BBBB"
    assert signed_in.post("/o/device/", {"user_code": "BBBB-BBBB"}).status_code == 400


def test_verification_page_asks_to_sign_in_first(client):
    response = client.get("/o/device/", {"user_code": "BCDF-GHJK"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_wrong_codes_are_paused_per_user_but_right_ones_are_not_counted(
    client, device_app, settings
):
    settings.PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_USER = "3/10m"
    body = start(client, device_app)
    guesser = Client()
    guesser.force_login(UserFactory())
    for _ in range(3):
        assert guesser.post("/o/device/", {"user_code": "BBBB-BBBB"}).status_code == 400
    paused = guesser.post("/o/device/", {"user_code": body["user_code"]})
    assert paused.status_code == 429
    assert int(paused["Retry-After"]) > 0
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RATE_LIMITED).exists()

    owner = Client()
    owner.force_login(UserFactory())
    for _ in range(5):
        assert owner.post("/o/device/", {"user_code": body["user_code"]}).status_code == 200


def test_wrong_codes_are_paused_per_address_across_users(client, device_app, settings):
    settings.PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_IP = "4/10m"
    for _ in range(2):
        guesser = Client()
        guesser.force_login(UserFactory())
        for _ in range(2):
            guesser.post("/o/device/", {"user_code": "BBBB-BBBB"})
    other = Client()
    other.force_login(UserFactory())
    assert other.post("/o/device/", {"user_code": "CCCC-CCCC"}).status_code == 429


def test_forged_decision_for_an_unknown_code_changes_nothing(client, device_app, user):
    body = start(client, device_app)
    browser = Client()
    browser.force_login(user)
    response = browser.post("/o/device/decide/", {"user_code": "BBBB-BBBB", "allow": "true"})
    assert response.status_code == 400
    assert DeviceGrant.objects.get().status == DeviceGrant.AUTHORIZATION_PENDING
    with freeze_time(timedelta(seconds=10)):
        assert poll(client, device_app, body["device_code"]).json()["error"] == (
            "authorization_pending"
        )


def test_a_decided_code_cannot_be_decided_again(client, device_app, user):
    body = start(client, device_app)
    browser = Client()
    browser.force_login(user)
    approve(browser, body["user_code"], allow=False)
    response = browser.post("/o/device/decide/", {"user_code": body["user_code"], "allow": "true"})
    assert response.status_code == 400
    assert DeviceGrant.objects.get().status == DeviceGrant.DENIED


def test_portal_registers_a_tv_or_command_line_tool(client, user, scopes_openid=None):
    client.force_login(user)
    response = client.post(
        "/portal/apps/new/",
        {"name": "My CLI", "kind": "device", "allowed_scopes": ["openid", "profile"]},
    )
    assert response.status_code in (200, 302), response.content
    app = Application.objects.get(name="My CLI")
    assert app.client_type == Application.CLIENT_PUBLIC
    assert app.authorization_grant_type == Application.GRANT_DEVICE_CODE
    assert app.redirect_uris == ""
    assert start(Client(), app)["user_code"]


@pytest.mark.parametrize(
    "body",
    [
        "client_id={cid}&client_id={cid}&scope=openid",
        "client_id={cid}&scope=openid%00",
        "client_id=%00&scope=openid",
        "client_id={cid}&scope=" + "a" * 100_000,
        "client_id={cid}&scope=%ff%fe",
    ],
)
def test_hostile_device_authorization_requests_get_oauth_json_and_create_nothing(
    client, device_app, body
):
    response = client.post(
        "/o/device-authorization/", body.format(cid=device_app.client_id), content_type=FORM
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]
    assert DeviceGrant.objects.count() == 0


@pytest.mark.parametrize("typed", ["BCDF\x00GHJK", "B" * 100_000, "%ff", "' OR 1=1 --"])
def test_hostile_user_codes_get_the_page_back_never_a_500(signed_in, typed):
    response = signed_in.post("/o/device/", {"user_code": typed})
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("text/html")


def test_prune_command_deletes_old_expired_grants_and_ended_sessions(client, device_app, user):
    from django.core.management import call_command

    from oauth_portal.server.models import SignInSession

    with freeze_time(timedelta(days=-10)):
        start(client, device_app)
        SignInSession.objects.create(sid="old", user=user, ended_at=timezone.now())
    live = start(client, device_app)
    SignInSession.objects.create(sid="recent", user=user, ended_at=timezone.now())

    call_command("prune_sign_in_records", "--older-than", "7d")

    assert DeviceGrant.objects.count() == 1
    assert poll(client, device_app, live["device_code"]).json()["error"] == "slow_down"
    assert list(SignInSession.objects.values_list("sid", flat=True)) == ["recent"]


def test_polite_polling_never_meets_the_address_ceiling_on_refused_requests(
    client, device_app, settings
):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP = "3/m"
    with freeze_time() as clock:
        body = start(client, device_app)
        for _ in range(5):
            clock.tick(timedelta(seconds=6))
            response = poll(client, device_app, body["device_code"])
            assert response.json()["error"] == "authorization_pending"
        for _ in range(3):
            poll(client, device_app, "made-up")
        assert poll(client, device_app, body["device_code"]).status_code == 429
