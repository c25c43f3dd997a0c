"""The client's address behind any number of trusted proxies, and IPv6 counted by its /64.

One rule (oauth_portal.audit.client_address) serves the audit log, sign-in lockout and rate limits.
"""

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory

from oauth_portal.audit.client_address import client_address_bucket, client_ip_address
from oauth_portal.audit.models import AuditEvent

CDN_EDGE = "198.18.0.5"
LOAD_BALANCER = "10.0.0.2"


def address(settings, forwarded, *, proxies, remote=LOAD_BALANCER):
    settings.PORTAL_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    return client_ip_address(request.META)


def test_behind_a_cdn_and_a_load_balancer_each_user_keeps_their_own_address(settings):
    # The CDN wrote the client's address; the load balancer appended the CDN edge's.
    assert address(settings, f"198.51.100.5, {CDN_EDGE}", proxies=2) == "198.51.100.5"
    assert address(settings, f"198.51.100.6, {CDN_EDGE}", proxies=2) == "198.51.100.6"


def test_hops_the_client_wrote_itself_are_ignored(settings):
    forged = f"6.6.6.6, 198.51.100.5, {CDN_EDGE}"
    assert address(settings, forged, proxies=2) == "198.51.100.5"
    assert address(settings, "6.6.6.6, 198.51.100.5", proxies=1) == "198.51.100.5"


def test_without_a_trusted_proxy_the_header_is_never_read(settings):
    assert address(settings, "198.51.100.5", proxies=0, remote="203.0.113.9") == "203.0.113.9"


def test_a_request_that_skipped_the_outer_proxy_is_still_its_own_client(settings):
    # Straight to the load balancer: one hop only, written by our own load balancer.
    assert address(settings, "198.51.100.5", proxies=2) == "198.51.100.5"


def test_garbage_in_the_header_falls_back_to_the_peer(settings):
    assert address(settings, "not-an-address", proxies=1) == LOAD_BALANCER
    assert address(settings, "", proxies=1) == LOAD_BALANCER


def test_ipv6_addresses_are_counted_by_their_64_bit_network(settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0

    def bucket(remote):
        return client_address_bucket(RequestFactory().get("/", REMOTE_ADDR=remote).META)

    assert bucket("2001:db8:1:2::1") == bucket("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert bucket("2001:db8:1:2::1") != bucket("2001:db8:1:3::1")
    assert bucket("::ffff:198.51.100.5") == "198.51.100.5"
    assert bucket("198.51.100.5") == "198.51.100.5"


@pytest.mark.django_db
def test_one_ipv6_network_gets_no_more_guesses_than_one_address(settings, user):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 5
    statuses = [
        Client()
        .post(
            "/accounts/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}",
        )
        .status_code
        for n in range(8)
    ]

    assert statuses == [200] * 4 + [429] * 4
    assert AccessAttempt.objects.get().ip_address == "2001:db8:1:2::"


@pytest.mark.django_db
def test_the_audit_log_records_the_address_behind_two_proxies(settings, user):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 2
    Client().post(
        "/accounts/login/",
        {"username": "alice", "password": "wrong"},
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, 198.51.100.5, {CDN_EDGE}",
        REMOTE_ADDR=LOAD_BALANCER,
    )

    event = AuditEvent.objects.get(type=AuditEvent.Type.SIGN_IN_FAILED)
    assert event.ip_address == "198.51.100.5"
