"""Wrong second-step codes are limited as wrong passwords are: per (account, address), with a
ceiling per address; nobody else is locked out, right codes never count, and tries during a
lock neither count nor extend it."""

import pytest
from django.test import Client
from freezegun import freeze_time

from oauth_portal.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.mfa.mfa_helpers import authenticator_app, current_code, second_step, sign_in, wrong_code

pytestmark = pytest.mark.django_db

HOME = "1.2.3.4"
ELSEWHERE = "5.6.7.8"


@pytest.fixture
def limits(settings):
    settings.PORTAL_MFA_CODE_FAILURES = "3/15m"
    settings.PORTAL_MFA_CODE_FAILURES_PER_IP = "6/15m"
    settings.PORTAL_MFA_CODE_FAILURES_PER_ACCOUNT = "30/h"


def guess(client, device, times: int, address: str = HOME):
    return [
        second_step(client, wrong_code(device), address=address).status_code for _ in range(times)
    ]


def test_after_the_limit_even_the_right_code_waits(client, user, limits):
    device = authenticator_app(user)
    sign_in(client, "alice", address=HOME)
    assert guess(client, device, 3) == [400, 400, 400]

    response = second_step(client, current_code(device), address=HOME)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/accounts/profile/").status_code == 302
    assert AuditEvent.objects.filter(
        type=AuditEvent.Type.RATE_LIMITED, details__limit="mfa-code-failures"
    ).exists()


def test_the_same_account_from_another_address_is_not_locked(client, user, limits):
    device = authenticator_app(user)
    sign_in(client, "alice", address=ELSEWHERE)
    guess(client, device, 3, address=ELSEWHERE)

    owner = Client()
    sign_in(owner, "alice", address=HOME)
    assert second_step(owner, current_code(device), address=HOME).status_code == 302


def test_another_user_at_the_address_is_not_locked_by_one_users_failures(client, user, limits):
    device = authenticator_app(user)
    sign_in(client, "alice", address=HOME)
    guess(client, device, 3)

    colleague = UserFactory(username="bob")
    colleague_device = authenticator_app(colleague)
    other = Client()
    sign_in(other, "bob", address=HOME)
    assert second_step(other, current_code(colleague_device), address=HOME).status_code == 302


def test_the_address_ceiling_stops_spraying_many_accounts(client, user, limits):
    device = authenticator_app(user)
    victims = [UserFactory(username=f"victim{n}") for n in range(2)]
    for victim in victims:
        victim_device = authenticator_app(victim)
        browser = Client()
        sign_in(browser, victim.username, address=HOME)
        guess(browser, victim_device, 3)
    sign_in(client, "alice", address=HOME)
    assert second_step(client, current_code(device), address=HOME).status_code == 429


def test_right_codes_never_count(client, user, limits):
    device = authenticator_app(user)
    for step in range(5):
        browser = Client()
        sign_in(browser, "alice", address=HOME)
        # Each right code is used once (a replayed TOTP code is refused): use the next steps.
        with freeze_time(offset_for(step)):
            assert second_step(browser, current_code(device), address=HOME).status_code == 302
    browser = Client()
    sign_in(browser, "alice", address=HOME)
    assert guess(browser, device, 2) == [400, 400]


def test_a_lock_ends_by_itself_whatever_is_tried_during_it(client, user, limits):
    device = authenticator_app(user)
    with freeze_time("2030-01-01 10:00:00") as clock:
        sign_in(client, "alice", address=HOME)
        guess(client, device, 3)
        retry_after = int(second_step(client, current_code(device), address=HOME)["Retry-After"])
        # Counting windows start at an offset of their own (ratecounters.counter_window), so
        # the lock may have anything from a second to its whole period left.
        waited = 0
        while waited + 30 < retry_after:
            clock.tick(30)
            waited += 30
            assert second_step(client, wrong_code(device), address=HOME).status_code == 429
        clock.tick(retry_after - waited + 1)
        assert second_step(client, current_code(device), address=HOME).status_code == 302


def offset_for(step: int) -> str:
    return f"2030-01-01 09:{step:02d}:00"


def test_the_account_ceiling_stops_guessing_from_many_addresses(client, user, settings):
    settings.PORTAL_MFA_CODE_FAILURES = "3/15m"
    settings.PORTAL_MFA_CODE_FAILURES_PER_ACCOUNT = "4/h"
    device = authenticator_app(user)
    for address in ("10.0.0.1", "10.0.0.2"):
        browser = Client()
        sign_in(browser, "alice", address=address)
        assert guess(browser, device, 2, address=address) == [400, 400]
    # Only someone with alice's password got this far; a fresh address does not help them.
    sign_in(client, "alice", address="10.0.0.3")
    assert second_step(client, current_code(device), address="10.0.0.3").status_code == 429

    colleague = UserFactory(username="bob")
    colleague_device = authenticator_app(colleague)
    other = Client()
    sign_in(other, "bob", address="10.0.0.3")
    assert second_step(other, current_code(colleague_device), address="10.0.0.3").status_code == 302
