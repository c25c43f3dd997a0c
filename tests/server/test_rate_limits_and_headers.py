"""Rate limits (429 + Retry-After + audit event) that slow guessing but leave well-behaved
clients alone, and the security headers every page carries."""

import pytest
from django.core.cache import cache

from oauth_portal.audit.models import AuditEvent
from tests.factories import CLIENT_SECRET, ApplicationFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    basic_auth,
    pkce_pair,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_counters():
    """Counters are rolled back with the test on the database; with REDIS_URL they are in the
    cache, which this empties."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def service_app(db):
    return ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")


def client_credentials(client, app, secret=CLIENT_SECRET, ip="10.0.0.1"):
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION=basic_auth(app.client_id, secret),
        REMOTE_ADDR=ip,
    )


def test_repeated_failed_client_authentication_is_slowed_down(client, service_app, settings):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "3/h"
    for _ in range(3):
        assert client_credentials(client, service_app, secret="guess").status_code == 401

    blocked = client_credentials(client, service_app)  # even the right secret, for now

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) >= 1
    assert blocked.json()["error"] == "rate_limited"
    event = AuditEvent.objects.get(type=AuditEvent.Type.RATE_LIMITED)
    assert event.details["limit"].startswith("client-auth-failure")
    assert event.details["client_id"] == service_app.client_id


def test_failures_from_one_address_do_not_block_the_client_elsewhere_before_its_own_limit(
    client, service_app, settings
):
    settings.PORTAL_RATELIMIT_AUTH_FAILURES = "3/h"
    other = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    for _ in range(3):
        client_credentials(client, other, secret="guess", ip="10.9.9.9")
    assert client_credentials(client, service_app, ip="10.0.0.2").status_code == 200


def test_well_behaved_client_is_not_limited_by_default(client, service_app):
    statuses = {client_credentials(client, service_app).status_code for _ in range(60)}
    assert statuses == {200}
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.RATE_LIMITED).exists()


def test_per_client_limit_applies_to_all_requests(client, service_app, settings):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = "5/h"
    statuses = [
        client_credentials(client, service_app, ip=f"10.0.1.{n}").status_code for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_introspection_and_revocation_are_limited_too(client, service_app, settings):
    settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT = "2/h"
    auth = {"HTTP_AUTHORIZATION": basic_auth(service_app.client_id), "REMOTE_ADDR": "10.0.2.1"}
    assert client.post("/o/introspect/", {"token": "x"}, **auth).status_code == 200
    assert client.post("/o/revoke_token/", {"token": "x"}, **auth).status_code == 200
    assert client.post("/o/introspect/", {"token": "x"}, **auth).status_code == 429


def test_authorize_endpoint_limits_refused_requests_per_address(signed_in, app, settings):
    settings.PORTAL_RATELIMIT_AUTHORIZE_PER_IP = "2/h"
    _verifier, challenge = pkce_pair()
    url = authorize_url(authorize_params(app, challenge=challenge))
    unknown_client = authorize_url({**authorize_params(app, challenge=challenge), "client_id": "x"})
    assert all(signed_in.get(url).status_code < 400 for _ in range(3))  # never counted
    assert signed_in.get(unknown_client).status_code == 400
    assert signed_in.get(unknown_client).status_code == 400
    limited = signed_in.get(url)
    assert limited.status_code == 429
    assert "Retry-After" in limited


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_pages_forbid_inline_script_and_framing(client, path):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if "script-src" in part)
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_consent_page_cannot_be_framed(signed_in, app):
    _verifier, challenge = pkce_pair()
    response = signed_in.get(authorize_url(authorize_params(app, challenge=challenge)))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_hsts_is_sent_over_https_with_debug_off(client):
    response = client.get("/accounts/login/", secure=True)
    assert "max-age=31536000" in response["Strict-Transport-Security"]


@pytest.mark.django_db
def test_pages_keep_a_cross_origin_opener_from_scripting_them(client):
    """A page opened by another site with window.open cannot reach back into ours (and ours
    is put in its own browsing context group)."""
    response = client.get("/accounts/login/")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
