"""What the authorization endpoint refuses, and how: an error page for an unknown client or
redirect URI (never a redirect), an error redirect with the exact code otherwise."""

import pytest
from oauth2_provider.models import get_grant_model

from oauth_portal.audit.models import AuditEvent
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    consent_form_data,
    pkce_pair,
    query_of,
)

pytestmark = pytest.mark.django_db
Grant = get_grant_model()


def open_authorize(client, app, **overrides):
    _verifier, challenge = pkce_pair()
    return client.get(authorize_url(authorize_params(app, challenge=challenge, **overrides)))


def assert_error_page(response, error):
    assert response.status_code == 400
    assert "Location" not in response
    assert error in response.content.decode()
    assert Grant.objects.count() == 0


def test_denial_redirects_with_access_denied_and_state(signed_in, app):
    page = open_authorize(signed_in, app, state="s-123")
    response = signed_in.post("/o/authorize/", consent_form_data(page))

    assert response.status_code == 302
    assert response["Location"].startswith(app.redirect_uris)
    params = query_of(response["Location"])
    assert params["error"] == "access_denied"
    assert params["state"] == "s-123"
    assert "code" not in params
    assert Grant.objects.count() == 0
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CONSENT_DENIED, application=app).exists()


def test_unknown_client_gets_an_error_page(signed_in, app):
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, client_id="no-such-client")
    assert_error_page(signed_in.get(authorize_url(params)), "invalid_request")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.test/callback",
        "https://client.example.test/callback/",
        "https://client.example.test/callback?x=1",
        "https://client.example.test:8443/callback",
        "http://client.example.test/callback",
        "https://client.example.test/Callback",
        "https://client.example.test.evil.test/callback",
        "https://evil@client.example.test/callback",
        "https://client.example.test/callback#frag",
        "https://client.example.test/callback/../callback",
    ],
)
def test_unregistered_and_near_miss_redirect_uris_get_an_error_page(signed_in, app, redirect_uri):
    assert_error_page(open_authorize(signed_in, app, redirect_uri=redirect_uri), "invalid_request")


def test_confidential_client_loopback_redirect_must_match_port(signed_in, db):
    from tests.factories import ApplicationFactory

    app = ApplicationFactory(redirect_uris="http://127.0.0.1:8765/callback")
    response = open_authorize(signed_in, app, redirect_uri="http://127.0.0.1:9999/callback")
    assert_error_page(response, "invalid_request")


def test_public_client_loopback_redirect_may_use_any_port(signed_in, public_app):
    response = open_authorize(signed_in, public_app, redirect_uri="http://127.0.0.1:9999/callback")
    assert response.status_code == 200
    assert b'name="allow"' in response.content


def test_missing_pkce_is_refused_with_invalid_request(signed_in, app):
    response = open_authorize(signed_in, app, code_challenge=None, code_challenge_method=None)
    assert response.status_code == 302
    params = query_of(response["Location"])
    assert params["error"] == "invalid_request"
    assert "code challenge" in params["error_description"].lower()
    assert params["state"] == "xyz-state"


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_pkce_is_refused_before_the_consent_page(signed_in, app, method):
    response = open_authorize(signed_in, app, code_challenge="a" * 43, code_challenge_method=method)
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_request"
    assert Grant.objects.count() == 0


def test_request_without_scope_is_refused_with_invalid_scope(signed_in, app):
    response = open_authorize(signed_in, app, scope=None)
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_scope"


def test_unknown_scope_is_refused_with_invalid_scope(signed_in, app):
    response = open_authorize(signed_in, app, scope="openid admin:everything")
    assert query_of(response["Location"])["error"] == "invalid_scope"


def test_implicit_response_type_is_refused(signed_in, app):
    response = open_authorize(signed_in, app, response_type="token")
    assert response.status_code == 302
    assert "access_token" not in response["Location"]
    assert query_of(response["Location"])["error"] in {
        "unsupported_response_type",
        "unauthorized_client",
    }


def test_suspended_app_cannot_start_a_flow(signed_in, app):
    app.status = app.Status.SUSPENDED
    app.save()
    response = open_authorize(signed_in, app)
    assert response.status_code == 403
    assert "Location" not in response
    assert b"suspended" in response.content
    assert Grant.objects.count() == 0


def test_pending_app_works_only_for_its_developer(signed_in, user, db):
    from tests.factories import ApplicationFactory

    others_app = ApplicationFactory(status="pending")
    own_app = ApplicationFactory(status="pending", user=user)
    refused = open_authorize(signed_in, others_app)
    assert refused.status_code == 403
    assert b"awaiting approval" in refused.content
    assert open_authorize(signed_in, own_app).status_code == 200


def test_signed_out_user_is_sent_to_sign_in_with_next(client, app):
    response = open_authorize(client, app)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/authorize/")


@pytest.mark.parametrize("allow", [True, False])
def test_tampered_redirect_uri_in_consent_form_is_never_followed(signed_in, app, allow):
    page = open_authorize(signed_in, app)
    data = consent_form_data(page)
    data["redirect_uri"] = "https://evil.example.test/steal"
    if allow:
        data["allow"] = "true"
    response = signed_in.post("/o/authorize/", data)

    assert response.status_code == 400
    assert "Location" not in response
    assert Grant.objects.count() == 0


def test_tampered_client_id_in_consent_form_is_refused(signed_in, app):
    page = open_authorize(signed_in, app)
    data = consent_form_data(page) | {"client_id": "no-such-client", "allow": "true"}
    response = signed_in.post("/o/authorize/", data)
    assert response.status_code == 400
    assert Grant.objects.count() == 0


def test_consent_post_missing_hidden_fields_is_refused(signed_in, app):
    response = signed_in.post("/o/authorize/", {"allow": "true"})
    assert response.status_code == 400
    assert Grant.objects.count() == 0


def test_consent_page_cannot_be_framed_and_shows_the_app(signed_in, app):
    response = open_authorize(signed_in, app)
    assert response["X-Frame-Options"] == "DENY"
    body = response.content.decode()
    assert app.name in body
    assert "See your saved colors" in body
    assert "Sign you in and know who you are" in body
    assert "client.example.test" in body  # the publisher's homepage


def test_authorization_response_carries_iss(signed_in, app):
    from tests.oauth_helpers import approve

    _verifier, challenge = pkce_pair()
    location = approve(signed_in, app, challenge=challenge)
    assert query_of(location)["iss"] == "http://testserver/o"
