"""Sign-in protection: the brute-force lock (django-axes), session rotation and cookie flags.

The lock lives in the database, so it is asserted there too (axes' AccessAttempt rows), and it
holds for a second client and for a second process. Time moves with freezegun, never sleeps.
"""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from freezegun import freeze_time

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.sign_in_lockout import client_address_bucket
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOGIN_URL = "/accounts/login/"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
WRONG_PASSWORD = "Wr0ng-but-Memorable-Pa55"
LIMIT = 5
COOL_OFF = timedelta(minutes=15)
LOCK_MESSAGE = "Too many failed sign-in attempts. Try again in 15 minutes."
START = "2030-01-07 09:00:00"


@pytest.fixture(autouse=True)
def lock_settings(settings):
    """The documented defaults, pinned so that the environment of the run cannot move them."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0


def sign_in(client, username, password=WRONG_PASSWORD, address="127.0.0.1", **extra):
    return client.post(
        LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def fail(client, username, times, address="127.0.0.1"):
    return [sign_in(client, username, address=address) for _ in range(times)]


def what_the_visitor_sees(response) -> tuple[int, str]:
    """Status and the message shown: the lock page's text, or the sign-in form's error."""
    if LOCK_MESSAGE in response.content.decode():
        return response.status_code, LOCK_MESSAGE
    return response.status_code, " ".join(response.context["form"].non_field_errors())


def assert_lock_page(response):
    assert response.status_code == 429
    assert LOCK_MESSAGE in response.content.decode()
    assert response["Retry-After"] == str(int(COOL_OFF.total_seconds()))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def lockout_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(type=AuditEvent.Type.SIGN_IN_LOCKED_OUT).order_by("id"))


# --- The account lock -----------------------------------------------------------------------------


def test_right_password_is_refused_with_429_once_the_limit_is_reached(client, user):
    responses = fail(client, "alice", LIMIT)

    assert [r.status_code for r in responses] == [200] * (LIMIT - 1) + [429]
    response = sign_in(client, "alice", PASSWORD)
    assert_lock_page(response)
    assert not is_signed_in(client)
    # The count is database state, not process memory.
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start == LIMIT  # a try refused by the lock is not counted
    assert WRONG_PASSWORD not in attempt.post_data and PASSWORD not in attempt.post_data


def test_unknown_username_sees_exactly_what_a_known_one_sees_at_every_step(client, user):
    known, unknown = Client(), Client()
    steps = []
    for _ in range(LIMIT):
        steps.append(
            (
                sign_in(known, "alice", address="198.51.100.1"),
                sign_in(unknown, "nobody-here", address="198.51.100.2"),
            )
        )
    # Then the right password for the real account, any password for the invented one.
    steps.append(
        (
            sign_in(known, "alice", PASSWORD, address="198.51.100.1"),
            sign_in(unknown, "nobody-here", PASSWORD, address="198.51.100.2"),
        )
    )

    seen = [(what_the_visitor_sees(a), what_the_visitor_sees(b)) for a, b in steps]
    assert all(a == b for a, b in seen), seen
    form_error = seen[0][0][1]
    assert form_error.startswith("Please enter a correct username and password")
    assert [a for a, _ in seen] == [(200, form_error)] * (LIMIT - 1) + [(429, LOCK_MESSAGE)] * 2
    last_known, last_unknown = steps[-1]
    assert last_known.content == last_unknown.content  # the lock page, byte for byte
    assert last_known["Retry-After"] == last_unknown["Retry-After"]


def test_admin_sign_in_shares_the_lock(client, user):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    fail(client, "root", LIMIT)

    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})

    assert_lock_page(response)
    assert not is_signed_in(client)


# --- The address lock -----------------------------------------------------------------------------


def test_forged_x_forwarded_for_does_not_dodge_the_lock(client, user):
    for n in range(LIMIT):
        sign_in(client, "alice", address="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert AccessAttempt.objects.filter(ip_address="203.0.113.7").count() == 1
    assert sign_in(client, "alice", PASSWORD, address="203.0.113.7").status_code == 429


def test_behind_the_proxy_the_address_is_the_hop_the_proxy_added(settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    factory = RequestFactory()

    def address(forwarded, remote="10.0.0.2"):
        request = factory.post(LOGIN_URL, HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
        return client_address_bucket(request)

    assert address("6.6.6.6, 198.51.100.5") == "198.51.100.5"  # the client wrote 6.6.6.6
    assert address("2001:db8::1") == "2001:db8::"  # counted by its /64
    assert address("not-an-address") == "10.0.0.2"
    assert address("") == "10.0.0.2"
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    assert address("198.51.100.5") == "10.0.0.2"


# --- Time: the cool-off ---------------------------------------------------------------------------


def test_lock_lifts_after_the_cool_off(client, user):
    with freeze_time(START) as clock:
        fail(client, "alice", LIMIT)
        clock.tick(COOL_OFF - timedelta(seconds=1))
        assert_lock_page(sign_in(Client(), "alice", PASSWORD))  # a fresh browser, same address

        clock.tick(COOL_OFF + timedelta(seconds=1))
        response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client)
    assert not AccessAttempt.objects.exists()


# --- Resetting the count --------------------------------------------------------------------------


def test_successful_sign_in_before_the_limit_resets_the_count(client, user):
    fail(client, "alice", LIMIT - 1)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()

    again = Client()
    responses = fail(again, "alice", LIMIT - 1)

    assert [r.status_code for r in responses] == [200] * (LIMIT - 1)
    assert sign_in(again, "alice", PASSWORD).status_code == 302


# --- Across processes -----------------------------------------------------------------------------


def test_lock_set_through_one_client_holds_for_a_fresh_client(client, user):
    fail(client, "alice", LIMIT)

    other = Client()  # no cookies, no session: only the database is shared
    response = sign_in(other, "alice", PASSWORD)

    assert_lock_page(response)
    assert not is_signed_in(other)


_PROCESS_SCRIPT = """
import json, sys
import django
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
if sys.argv[1] == "fail":
    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("alice", "alice@example.test", "correct-horse-battery")
    attempts = [("alice", "wrong-password")] * int(sys.argv[2])
else:
    attempts = [("alice", "correct-horse-battery")]
client = Client()
statuses = [
    client.post("/accounts/login/", {"username": u, "password": p}).status_code
    for u, p in attempts
]
print(json.dumps(statuses))
"""


def run_process(database: Path, *args: str) -> list[int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "oauth_portal.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "PORTAL_SIGN_IN_FAILURE_LIMIT": str(LIMIT),
        "PORTAL_SIGN_IN_LOCKOUT_MINUTES": "15",
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROCESS_SCRIPT, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_lock_set_by_one_process_holds_in_another(tmp_path):
    database = tmp_path / "shared.sqlite3"

    assert run_process(database, "fail", str(LIMIT)) == [200] * (LIMIT - 1) + [429]
    assert run_process(database, "right") == [429]


# --- Audit ----------------------------------------------------------------------------------------


def test_lockout_is_audited_once_with_the_username_and_never_the_password(client, user):
    with freeze_time(START) as clock:
        fail(client, "alice", LIMIT + 2)
        sign_in(client, "alice", PASSWORD)

        assert len(lockout_events()) == 1
        event = lockout_events()[0]
        assert event.details["attempted_username"] == "alice"
        assert event.user == user
        assert event.ip_address == "127.0.0.1"
        text = json.dumps(list(AuditEvent.objects.values("details", "user_agent")))
        assert WRONG_PASSWORD not in text and PASSWORD not in text

        # After the cool-off, a second round of guessing is a second lockout.
        clock.tick(COOL_OFF + timedelta(seconds=1))
        fail(client, "alice", LIMIT)

    assert len(lockout_events()) == 2


# --- Session and cookies --------------------------------------------------------------------------


def test_sign_in_rotates_the_session_key(client, user):
    session = client.session  # a session that exists before sign-in, as a fixation attack plants
    session["planted"] = True
    session.save()
    before = client.cookies["sessionid"].value

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert is_signed_in(client)


def test_sign_in_cookies_are_httponly_samesite_lax_and_secure(client, user):
    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    for name in ("sessionid", "csrftoken"):
        header = response.cookies[name].output()
        assert "HttpOnly" in header, header
        assert "SameSite=Lax" in header, header
        assert "Secure" in header, header


# --- Configuration from the environment -----------------------------------------------------------


def read_settings(**variables: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PORTAL_", "DATABASE_URL"))
    }
    env.update({"DJANGO_DEBUG": "1", **variables})
    script = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.AXES_FAILURE_LIMIT, "
        "int(settings.AXES_COOLOFF_TIME.total_seconds()), "
        "settings.PORTAL_TRUSTED_PROXY_COUNT]))"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "oauth_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_limit_and_lockout_minutes_come_from_the_environment():
    defaults = read_settings()
    chosen = read_settings(
        PORTAL_SIGN_IN_FAILURE_LIMIT="8",
        PORTAL_SIGN_IN_LOCKOUT_MINUTES="30",
        DJANGO_BEHIND_TLS_PROXY="1",
    )
    garbage = read_settings(PORTAL_SIGN_IN_FAILURE_LIMIT="lots")

    assert json.loads(defaults.stdout.splitlines()[-1]) == [5, 15 * 60, 0]
    assert json.loads(chosen.stdout.splitlines()[-1]) == [8, 30 * 60, 1]
    assert garbage.returncode != 0
    assert "PORTAL_SIGN_IN_FAILURE_LIMIT must be an integer" in garbage.stderr
