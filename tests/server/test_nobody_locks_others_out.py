"""Sign-in limits that stop a guesser without letting anyone lock someone else out.

Failures count against (username, address); an address and an account each have a ceiling of
their own that a stranger cannot use against the owner. Addresses are distinct REMOTE_ADDRs
here; tests/accounts/test_sign_in_from_two_addresses.py drives a live server from two real
loopback source addresses.
"""

from datetime import timedelta

import pytest
from django.test import Client
from freezegun import freeze_time

from oauth_portal.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
WRONG = "Wr0ng-but-Memorable-Pa55"
PAIR_LIMIT = 5
COOL_OFF = timedelta(minutes=15)
START = "2030-01-07 09:00:00"
OWNER_ADDRESS = "198.51.100.20"
ATTACKER = "203.0.113.7"
OFFICE = "192.0.2.10"


@pytest.fixture(autouse=True)
def documented_limits(settings):
    settings.AXES_FAILURE_LIMIT = PAIR_LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF
    settings.PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT = 100
    settings.PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT = 20
    settings.PORTAL_RATELIMIT_ADDRESS_ALLOWLIST = []
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0


def sign_in(client, username, password=WRONG, address=OWNER_ADDRESS, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in_as(client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return None if user_id is None else str(user_id)


def test_a_strangers_failures_do_not_lock_the_owner_out_at_her_address(user):
    attacker = Client()
    statuses = [sign_in(attacker, "alice", address=ATTACKER).status_code for _ in range(12)]

    owner = Client()
    response = sign_in(owner, "alice", PASSWORD, address=OWNER_ADDRESS)

    assert statuses == [200] * (PAIR_LIMIT - 1) + [429] * (12 - PAIR_LIMIT + 1)
    assert response.status_code == 302
    assert signed_in_as(owner) == str(user.pk)


def test_guesses_are_cut_off_even_when_the_guesser_signs_in_to_its_own_account_between(user):
    UserFactory(username="mallory")
    guesser = Client()
    checked = 0
    for _round in range(5):
        for _ in range(PAIR_LIMIT - 1):
            response = sign_in(guesser, "alice", address=ATTACKER)
            checked += response.status_code == 200  # the password was checked, and was wrong
        assert sign_in(guesser, "mallory", PASSWORD, address=ATTACKER).status_code == 302
        guesser.post("/accounts/logout/", REMOTE_ADDR=ATTACKER)

    assert checked == PAIR_LIMIT - 1
    assert sign_in(guesser, "alice", PASSWORD, address=ATTACKER).status_code == 429


def test_tries_during_a_lock_do_not_extend_it(user):
    attacker = Client()
    with freeze_time(START) as clock:
        for _ in range(PAIR_LIMIT):
            sign_in(attacker, "alice", address=ATTACKER)
        for _ in range(14):
            clock.tick(timedelta(minutes=1))
            assert sign_in(attacker, "alice", address=ATTACKER).status_code == 429

        clock.tick(timedelta(minutes=1, seconds=1))  # 15 minutes after the lock began
        response = sign_in(attacker, "alice", PASSWORD, address=ATTACKER)

    assert response.status_code == 302


def test_a_hundred_correct_sign_ins_a_minute_from_one_address_all_succeed(db):
    users = [UserFactory(username=f"staff{n:03d}") for n in range(100)]
    outcomes = []
    for n, person in enumerate(users):  # well inside a minute
        browser = Client()
        if n % 25 == 0:  # a few typos among them
            assert sign_in(browser, person.username, address=OFFICE).status_code == 200
        outcomes.append(sign_in(browser, person.username, PASSWORD, address=OFFICE).status_code)

    assert outcomes == [302] * 100


def test_typos_by_different_people_behind_one_address_do_not_lock_the_others(user):
    for n in range(PAIR_LIMIT + 2):
        UserFactory(username=f"colleague{n}")
        assert sign_in(Client(), f"colleague{n}", address=OFFICE).status_code == 200

    assert sign_in(Client(), "alice", PASSWORD, address=OFFICE).status_code == 302


def test_spraying_many_usernames_from_one_address_locks_that_address_at_its_ceiling(user, settings):
    settings.PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT = 30
    sprayer = Client()
    statuses = [sign_in(sprayer, f"guess{n}", address=ATTACKER).status_code for n in range(30)]

    refused = sign_in(Client(), "alice", PASSWORD, address=ATTACKER)
    elsewhere = Client()

    assert statuses == [200] * 30
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) <= COOL_OFF.total_seconds()
    assert sign_in(elsewhere, "alice", PASSWORD, address=OWNER_ADDRESS).status_code == 302
    (event,) = AuditEvent.objects.filter(type=AuditEvent.Type.SIGN_IN_LOCKED_OUT)
    assert event.details["limit"] == "sign-in-failures-ip"


def test_the_admin_sign_in_has_the_address_ceiling_too(user, settings):
    settings.PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT = 10
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for n in range(10):
        sign_in(Client(), f"guess{n}", address=ATTACKER, path="/admin/login/")

    response = sign_in(Client(), "root", PASSWORD, address=ATTACKER, path="/admin/login/")

    assert response.status_code == 429


def test_an_allowlisted_office_is_not_locked_by_its_ceiling(user, settings):
    settings.PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT = 10
    settings.PORTAL_RATELIMIT_ADDRESS_ALLOWLIST = ["192.0.2.0/24"]
    for n in range(15):
        sign_in(Client(), f"typo{n}", address=OFFICE)

    assert sign_in(Client(), "alice", PASSWORD, address=OFFICE).status_code == 302


def test_an_account_guessed_from_everywhere_stays_open_on_its_owners_browser(user, settings):
    settings.PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT = 20
    owners_browser = Client()
    assert sign_in(owners_browser, "alice", PASSWORD).status_code == 302
    owners_browser.post("/accounts/logout/", REMOTE_ADDR=OWNER_ADDRESS)

    for n in range(20):  # a botnet: a few tries from each of many addresses
        sign_in(Client(), "alice", address=f"203.0.113.{100 + n // 4}")
    new_browser = sign_in(Client(), "alice", PASSWORD, address="198.51.100.77")
    known_browser = sign_in(owners_browser, "alice", PASSWORD)

    assert new_browser.status_code == 429
    assert known_browser.status_code == 302
    assert signed_in_as(owners_browser) == str(user.pk)


def test_the_known_browser_cookie_cannot_be_forged_or_moved_to_another_account(user):
    UserFactory(username="mallory")
    mallorys_browser = Client()
    assert sign_in(mallorys_browser, "mallory", PASSWORD, address=ATTACKER).status_code == 302
    cookie = mallorys_browser.cookies["portal_known_device"]
    assert "mallory" not in cookie.value
    assert "HttpOnly" in cookie.output() and "SameSite=Lax" in cookie.output()

    for n in range(20):
        sign_in(Client(), "alice", address=f"203.0.113.{100 + n // 4}")
    forged = Client()
    forged.cookies["portal_known_device"] = cookie.value.replace("a", "b")

    assert sign_in(mallorys_browser, "alice", PASSWORD, address=ATTACKER).status_code == 429
    assert sign_in(forged, "alice", PASSWORD, address=ATTACKER).status_code == 429


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_username_longer_than_any_column_is_a_failed_sign_in_not_an_error(db, path):
    response = sign_in(Client(), "a" * 300, address=ATTACKER, path=path)

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
