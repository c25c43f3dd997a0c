"""Client endpoint limits that a stranger naming a public client id cannot spend.

Failures count against (client, address) and, with a higher ceiling, the address; a client's
volume is counted only once it has authenticated, at the rate set on the client.
"""

import pytest
from django.core.cache import cache

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import ratelimits
from tests.factories import ApplicationFactory, PublicApplicationFactory
from tests.oauth_helpers import basic_auth

pytestmark = pytest.mark.django_db

CLIENT_HOME = "10.0.0.1"
ATTACKER = "203.0.113.7"


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    settings.PORTAL_RATELIMIT_ADDRESS_ALLOWLIST = []
    settings.PORTAL_TRUSTED_PROXY_COUNT = 0
    cache.clear()
    ratelimits.forget_client_rates()
    yield
    cache.clear()
    ratelimits.forget_client_rates()


@pytest.fixture
def service_app(db):
    return ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")


def client_credentials(client, app, secret=None, address=CLIENT_HOME):
    auth = basic_auth(app.client_id) if secret is None else basic_auth(app.client_id, secret)
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION=auth,
        REMOTE_ADDR=address,
    )


def test_wrong_secrets_naming_a_client_do_not_shut_it_out_at_its_own_address(
    client, service_app, settings
):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "30/h"
    statuses = [
        client_credentials(client, service_app, secret="guess", address=ATTACKER).status_code
        for _ in range(31)
    ]

    assert statuses == [401] * 30 + [429]
    assert client_credentials(client, service_app).status_code == 200


def test_unauthenticated_requests_naming_a_client_do_not_spend_its_volume(
    client, service_app, settings
):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = "5/h"
    for n in range(20):  # from many addresses, so no failure limit is reached
        client_credentials(client, service_app, secret="guess", address=f"203.0.113.{n}")

    statuses = [client_credentials(client, service_app).status_code for _ in range(6)]

    assert statuses == [200] * 5 + [429]
    event = AuditEvent.objects.get(type=AuditEvent.Type.RATE_LIMITED)
    assert event.details["limit"] == "client-requests"


def test_a_public_clients_users_are_not_limited_by_the_per_client_default(client, settings):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = "5/h"
    spa = PublicApplicationFactory()
    statuses = [
        client.post(
            "/o/token/",
            {"grant_type": "refresh_token", "client_id": spa.client_id, "refresh_token": "old"},
            REMOTE_ADDR=f"198.51.100.{n}",
        ).status_code
        for n in range(12)
    ]

    assert statuses == [400] * 12  # invalid_grant each time, never 429


def test_the_limit_set_on_a_client_applies_once_it_has_authenticated(client, service_app):
    service_app.token_requests_per_minute = 3
    service_app.save()
    for _ in range(10):
        client_credentials(client, service_app, secret="guess", address=ATTACKER)

    statuses = [client_credentials(client, service_app).status_code for _ in range(4)]

    assert statuses == [200] * 3 + [429]


def test_a_client_set_to_no_limit_is_never_limited(client, service_app, settings):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = "2/h"
    service_app.token_requests_per_minute = 0
    service_app.save()

    statuses = {client_credentials(client, service_app).status_code for _ in range(6)}

    assert statuses == {200}


def test_one_address_guessing_many_clients_meets_the_address_ceiling(client, settings):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP = "10/h"
    apps = [
        ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
        for _ in range(11)
    ]
    statuses = [
        client_credentials(client, app, secret="guess", address=ATTACKER).status_code
        for app in apps
    ]

    assert statuses == [401] * 10 + [429]
    assert client_credentials(client, apps[0], address=CLIENT_HOME).status_code == 200


def test_successful_requests_from_one_address_never_count_toward_its_ceilings(
    client, service_app, settings
):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP = "5/h"
    settings.PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP = "5/h"

    statuses = {client_credentials(client, service_app).status_code for _ in range(20)}

    assert statuses == {200}


def test_an_admin_sets_a_clients_limit_on_its_change_page(client, service_app, admin_client):
    from django.urls import reverse

    from tests.server.admin_helpers import admin_form_data

    url = reverse("admin:portal_server_application_change", args=[service_app.pk])
    data = admin_form_data(admin_client.get(url)) | {"token_requests_per_minute": "2"}
    assert admin_client.post(url, data).status_code == 302
    ratelimits.forget_client_rates()  # other workers see it within PORTAL_REGISTRY_CACHE_SECONDS

    statuses = [client_credentials(client, service_app).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CHANGED)
    assert event.details["fields"] == ["token_requests_per_minute"]
