"""What a Prometheus scrape shows after the server did something, and who may scrape."""

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, get_code, redeem

pytestmark = pytest.mark.django_db


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def client_credentials(app, secret=None, address="10.0.0.1"):
    auth = basic_auth(app.client_id) if secret is None else basic_auth(app.client_id, secret)
    return Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION=auth,
        REMOTE_ADDR=address,
    )


@pytest.fixture
def service():
    return ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")


def test_a_token_request_moves_the_issued_counter_of_its_grant_and_client(service):
    labels = {"grant_type": "client_credentials", "client_id": service.client_id}
    before = sample("oauth_portal_tokens_issued_total", **labels)

    assert client_credentials(service).status_code == 200

    assert sample("oauth_portal_tokens_issued_total", **labels) == before + 1


def test_token_errors_are_counted_by_their_rfc_6749_code(service):
    before = sample("oauth_portal_token_errors_total", error="invalid_client")
    unsupported = sample("oauth_portal_token_errors_total", error="unsupported_grant_type")

    assert client_credentials(service, secret="wrong").status_code == 401
    response = Client().post(
        "/o/token/", {"grant_type": "password"}, HTTP_AUTHORIZATION=basic_auth(service.client_id)
    )
    assert response.json()["error"] == "unsupported_grant_type"

    assert sample("oauth_portal_token_errors_total", error="invalid_client") == before + 1
    assert (
        sample("oauth_portal_token_errors_total", error="unsupported_grant_type") == unsupported + 1
    )


def test_429s_are_counted_by_the_limit_they_hit(service, settings):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "2/h"
    before = sample("oauth_portal_rate_limited_total", limit="client-auth-failure")

    codes = [client_credentials(service, "guess", "203.0.113.9").status_code for _ in range(3)]

    assert codes == [401, 401, 429]
    assert sample("oauth_portal_rate_limited_total", limit="client-auth-failure") == before + 1


def test_a_replayed_code_is_counted_as_reuse(signed_in, app):
    before = sample("oauth_portal_reuse_detected_total", credential="authorization_code")
    code, verifier = get_code(signed_in, app)
    assert redeem(Client(), app, code, verifier).status_code == 200

    assert redeem(Client(), app, code, verifier).status_code == 400

    assert (
        sample("oauth_portal_reuse_detected_total", credential="authorization_code") == before + 1
    )


def test_request_latency_is_observed_per_endpoint(service):
    labels = {"endpoint": "oauth2_provider:token", "method": "POST"}
    before = sample("oauth_portal_request_duration_seconds_count", **labels)

    client_credentials(service)

    assert sample("oauth_portal_request_duration_seconds_count", **labels) == before + 1


def test_loopback_may_scrape(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert b"# TYPE oauth_portal_tokens_issued_total counter" in response.content
    assert response["Cache-Control"] == "no-store"


def test_other_addresses_may_not_scrape_even_claiming_loopback_in_a_forwarded_header(client):
    response = client.get("/metrics", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403
    assert b"oauth_portal" not in response.content


def test_the_configured_bearer_secret_opens_metrics_from_anywhere(client, settings):
    settings.PORTAL_METRICS_BEARER_TOKEN = "scrape-secret-0123456789"

    allowed = client.get(
        "/metrics", REMOTE_ADDR="198.51.100.4", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789"
    )
    refused = client.get(
        "/metrics", REMOTE_ADDR="198.51.100.4", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456788"
    )

    assert allowed.status_code == 200
    assert refused.status_code == 403


def test_an_allowed_network_may_scrape(client, settings):
    settings.PORTAL_METRICS_ALLOWED_NETWORKS = ["10.20.0.0/16"]

    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
