"""OpenID Connect Back-Channel Logout 1.0 as an app sees it: a tiny HTTP server stands in for
the app's logout endpoint, and verifies each logout token with joserfc against our JWKS.

Transactional tests: the notification leaves from a background thread once the sign-out's
transaction commits, as it does in production."""

import json
import queue
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application, LogoutNotification, SignInSession
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import basic_auth, get_code, redeem, token_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
WAIT = 10


class LogoutReceiver:
    """An app's back-channel logout endpoint on a free port: records each POST and answers
    with the next status of ``statuses`` (then 200)."""

    def __init__(self):
        self.received: queue.Queue = queue.Queue()
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                receiver.received.put(
                    {"path": self.path, "type": self.headers["Content-Type"], "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", f"{receiver.url}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout=WAIT) -> dict:
        return self.received.get(timeout=timeout)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.received.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def receiver(settings):
    settings.PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES = True
    receiver = LogoutReceiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def rp(receiver):
    return ApplicationFactory(
        name="Notified app",
        backchannel_logout_uri=f"{receiver.url}/backchannel",
        backchannel_logout_session_required=True,
    )


@pytest.fixture
def browser():
    browser = Client()
    browser.force_login(UserFactory(username="alice"))
    return browser


def sign_in_to(browser, app, **params) -> dict:
    code, verifier = get_code(browser, app, scope="openid profile", **params)
    tokens = redeem(Client(), app, code, verifier).json()
    return tokens


def verified_logout_claims(client, token: str, app) -> tuple[dict, dict]:
    jwks = client.get("/o/.well-known/jwks.json").json()
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "http://testserver/o"},
        aud={"essential": True, "value": app.client_id},
        iat={"essential": True},
        exp={"essential": True},
        jti={"essential": True},
    ).validate(decoded.claims)
    return decoded.header, decoded.claims


def id_token_claims(id_token: str) -> dict:
    return jwt.decode(
        id_token,
        KeySet.import_key_set(Client().get("/o/.well-known/jwks.json").json()),
        algorithms=["RS256"],
    ).claims


def test_signing_out_posts_a_signed_logout_token_to_the_app(browser, rp, receiver):
    tokens = sign_in_to(browser, rp)
    id_claims = id_token_claims(tokens["id_token"])
    assert id_claims["sid"]
    assert id_claims["sid"] != browser.session.session_key

    browser.post("/accounts/logout/")

    post = receiver.next()
    assert post["path"] == "/backchannel"
    assert post["type"] == "application/x-www-form-urlencoded"
    logout_token = parse_qs(post["body"])["logout_token"][0]
    header, claims = verified_logout_claims(browser, logout_token, rp)
    assert header["typ"] == "logout+jwt"
    assert claims["sid"] == id_claims["sid"]
    assert claims["sub"] == id_claims["sub"]
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["exp"] - claims["iat"] <= 300
    delivered = wait_for_audit(AuditEvent.Type.LOGOUT_NOTIFICATION_DELIVERED)
    assert delivered.application_id == rp.pk
    assert delivered.user.username == "alice"
    assert logout_token not in json.dumps(delivered.details)


def wait_for_audit(event_type, *, timeout=WAIT):
    deadline = timezone.now() + timedelta(seconds=timeout)
    while timezone.now() < deadline:
        found = AuditEvent.objects.filter(type=event_type).first()
        if found is not None:
            return found
        threading.Event().wait(0.05)
    raise AssertionError(f"no {event_type} audit event")


def test_only_apps_signed_in_to_during_the_session_are_notified(browser, rp, receiver):
    other = ApplicationFactory(backchannel_logout_uri=f"{receiver.url}/other")
    sign_in_to(browser, rp)
    sign_in_to(browser, rp, prompt="consent")  # twice: still one notification
    elsewhere = Client()
    elsewhere.force_login(UserFactory(username="bob"))
    sign_in_to(elsewhere, other)

    browser.post("/accounts/logout/")

    assert receiver.next()["path"] == "/backchannel"
    assert receiver.nothing_within(1.5)
    assert LogoutNotification.objects.count() == 1


def test_refreshed_id_token_keeps_the_session_id(browser, rp):
    tokens = sign_in_to(browser, rp)
    refreshed = token_request(
        Client(), rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ).json()
    assert (
        id_token_claims(refreshed["id_token"])["sid"]
        == (id_token_claims(tokens["id_token"])["sid"])
    )


def test_rp_initiated_logout_notifies_too(browser, rp, receiver):
    tokens = sign_in_to(browser, rp)
    page = browser.get("/o/logout/", {"id_token_hint": tokens["id_token"]})
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "allow"}
    browser.post("/o/logout/", data | {"allow": "true"})
    logout_token = parse_qs(receiver.next()["body"])["logout_token"][0]
    assert (
        verified_logout_claims(browser, logout_token, rp)[1]["sid"]
        == (id_token_claims(tokens["id_token"])["sid"])
    )


def test_failed_delivery_is_retried_by_the_command_with_backoff(browser, rp, receiver):
    receiver.statuses = [500]
    sign_in_to(browser, rp)
    browser.post("/accounts/logout/")
    receiver.next()
    failed = wait_for_audit(AuditEvent.Type.LOGOUT_NOTIFICATION_FAILED)
    assert failed.details["problem"] == "answered HTTP 500"
    notification = LogoutNotification.objects.get()
    assert notification.status == LogoutNotification.Status.PENDING
    assert notification.next_attempt_at > timezone.now() + timedelta(seconds=20)

    call_command("send_logout_notifications")  # not due yet
    assert receiver.nothing_within(0.5)
    LogoutNotification.objects.update(next_attempt_at=timezone.now())
    call_command("send_logout_notifications")

    receiver.next()
    notification.refresh_from_db()
    assert notification.status == LogoutNotification.Status.DELIVERED
    assert notification.attempts == 2


def test_gives_up_after_five_tries(browser, rp, receiver):
    receiver.statuses = [503] * 5
    sign_in_to(browser, rp)
    browser.post("/accounts/logout/")
    receiver.next()
    failures = AuditEvent.objects.filter(type=AuditEvent.Type.LOGOUT_NOTIFICATION_FAILED)
    for attempt in range(1, 5):
        # The try is over once its outcome is recorded (a claimed try also moves the time).
        wait_until(lambda attempt=attempt: failures.count() == attempt)
        LogoutNotification.objects.update(next_attempt_at=timezone.now())
        call_command("send_logout_notifications")
        receiver.next()
    notification = LogoutNotification.objects.get()
    assert notification.status == LogoutNotification.Status.FAILED
    assert notification.attempts == 5


def wait_until(condition, timeout=WAIT):
    deadline = timezone.now() + timedelta(seconds=timeout)
    while not condition():
        assert timezone.now() < deadline
        threading.Event().wait(0.05)


def test_redirects_are_not_followed(browser, rp, receiver):
    receiver.statuses = [302]
    sign_in_to(browser, rp)
    browser.post("/accounts/logout/")
    assert receiver.next()["path"] == "/backchannel"
    assert receiver.nothing_within(1.5)  # /elsewhere never called
    failed = wait_for_audit(AuditEvent.Type.LOGOUT_NOTIFICATION_FAILED)
    assert failed.details["problem"] == "answered HTTP 302"


def test_private_addresses_are_refused_unless_allowed(browser, rp, receiver, settings):
    settings.PORTAL_BACKCHANNEL_LOGOUT_ALLOW_PRIVATE_ADDRESSES = False
    sign_in_to(browser, rp)
    browser.post("/accounts/logout/")
    failed = wait_for_audit(AuditEvent.Type.LOGOUT_NOTIFICATION_FAILED)
    assert failed.details["problem"] == "private or loopback address refused"
    assert receiver.nothing_within(0.5)


def test_admin_ends_a_session_the_user_is_signed_out_and_apps_notified(browser, rp, receiver):
    sign_in_to(browser, rp)
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    session = SignInSession.objects.get(user__username="alice")
    response = admin.post(
        "/admin/portal_server/signinsession/",
        {"action": "end_sessions", "_selected_action": [session.pk]},
    )
    assert response.status_code == 302
    assert receiver.next()["path"] == "/backchannel"
    assert browser.get("/accounts/").status_code == 302  # signed out
    assert AuditEvent.objects.filter(details__action="session_ended").exists()


def test_admin_ending_a_session_ends_its_refresh_tokens_as_a_sign_out_does(browser, rp, receiver):
    tokens = sign_in_to(browser, rp)  # no offline_access: the refresh token follows the sign-in
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    session = SignInSession.objects.get(user__username="alice")

    admin.post(
        "/admin/portal_server/signinsession/",
        {"action": "end_sessions", "_selected_action": [session.pk]},
    )

    refreshed = Client().post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(rp.client_id),
    )
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"


def test_discovery_announces_backchannel_logout(client):
    document = client.get("/o/.well-known/openid-configuration").json()
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True


@pytest.mark.parametrize(
    ("uri", "valid"),
    [
        ("https://app.example.test/backchannel", True),
        ("http://127.0.0.1:9000/backchannel", True),
        ("http://app.example.test/backchannel", False),
        ("https://app.example.test/backchannel#frag", False),
    ],
)
def test_backchannel_logout_uri_must_be_https(uri, valid):
    from django.core.exceptions import ValidationError

    app = ApplicationFactory.build(
        user=UserFactory(), backchannel_logout_uri=uri, algorithm=Application.RS256_ALGORITHM
    )
    if valid:
        app.clean()
    else:
        with pytest.raises(ValidationError) as error:
            app.clean()
        assert "backchannel_logout_uri" in error.value.error_dict


@pytest.mark.django_db
def test_developer_sets_the_backchannel_logout_uri_in_the_portal(settings):
    from django.urls import reverse

    from tests.portal.helpers import HttpsClient, register

    developer = UserFactory(username="devon")
    app, _secret = register(developer)
    portal = HttpsClient()
    portal.force_login(developer)
    data = {
        "name": app.name,
        "redirect_uris": app.redirect_uris.split()[0],
        "allowed_scopes": ["openid"],
        "required_scopes": [],
        "backchannel_logout_uri": "https://palette.example.test/backchannel",
        "backchannel_logout_session_required": "on",
    }
    settings_url = reverse("portal:application-update", args=[app.pk])

    assert portal.post(settings_url, data).status_code == 302
    app.refresh_from_db()
    assert app.backchannel_logout_uri == "https://palette.example.test/backchannel"
    assert app.backchannel_logout_session_required is True
    refused = portal.post(settings_url, {**data, "backchannel_logout_uri": "http://evil.test/x"})
    assert refused.status_code == 400
    app.refresh_from_db()
    assert app.backchannel_logout_uri == "https://palette.example.test/backchannel"
