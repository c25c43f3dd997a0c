"""The playground: builds the authorization URL (state, PKCE), takes the code back, exchanges
it at our token endpoint over HTTP, verifies the ID token, calls the Colors API, refreshes and
revokes; a confidential app's secret is used for one request and never kept."""

import base64
import hashlib
import html
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.portal import playground as portal_playground
from tests.portal.helpers import PLAYGROUND, PLAYGROUND_CALLBACK, register, run_to_callback, start

pytestmark = pytest.mark.django_db


def test_playground_without_apps_says_to_register_one(portal):
    response = portal.get(PLAYGROUND)

    assert b"No app to try yet." in response.content


def test_playground_offers_to_turn_itself_on_for_an_app(portal, developer):
    app, _ = register(developer, playground_enabled=False)

    response = portal.get(PLAYGROUND, {"app": app.pk})

    assert response.context["ready"] is False
    assert b"Turn the playground on for Palette" in response.content
    assert PLAYGROUND_CALLBACK.encode() in response.content


def test_turning_it_on_from_the_playground_comes_back_to_the_playground(portal, developer):
    app, _ = register(developer, playground_enabled=False)

    response = portal.post(
        reverse("portal:playground-toggle", args=[app.pk]),
        {"enabled": "on", "return_to": "playground"},
    )

    assert response["Location"] == f"{PLAYGROUND}?app={app.pk}"
    app.refresh_from_db()
    assert app.playground_enabled


def test_authorization_url_carries_state_nonce_and_an_s256_pkce_challenge(portal, web_app):
    app, _ = web_app

    response = start(portal, app)

    assert response.status_code == 200
    flow = portal.session[portal_playground.SESSION_KEY]
    query = {k: v[0] for k, v in parse_qs(urlsplit(flow["authorize_url"]).query).items()}
    assert flow["authorize_url"].startswith("https://testserver/o/authorize/?")
    assert query["client_id"] == app.client_id
    assert query["redirect_uri"] == PLAYGROUND_CALLBACK
    assert query["scope"] == "openid profile colors:read"
    assert query["state"] == flow["state"] and len(flow["state"]) >= 32
    assert query["nonce"] == flow["nonce"]
    assert query["code_challenge_method"] == "S256"
    digest = hashlib.sha256(flow["code_verifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert html.escape(flow["authorize_url"]) in response.content.decode()


def test_playground_cannot_start_for_another_developers_app(portal, other_developer):
    theirs, _ = register(other_developer, playground_enabled=True)

    response = start(portal, theirs)
    page = portal.get(PLAYGROUND, {"app": theirs.pk})

    assert response.status_code == 404 and page.status_code == 404
    assert portal_playground.SESSION_KEY not in portal.session
    assert b"Palette" not in page.content


@pytest.mark.parametrize("value", ["999999", "99999999999999999999999", "\u00b2", "abc", "-1"])
def test_playground_naming_no_app_of_yours_is_not_a_server_error(portal, web_app, value):
    shown = portal.get(PLAYGROUND, {"app": value})
    started = portal.post(PLAYGROUND, {"application": value, "scopes": ["openid"]})

    assert shown.status_code in (200, 404) and started.status_code in (400, 404)
    assert portal_playground.SESSION_KEY not in portal.session


def test_playground_cannot_start_for_an_app_with_the_playground_off(portal, developer):
    app, _ = register(developer, playground_enabled=False)

    response = start(portal, app)

    assert response.status_code == 400
    assert portal_playground.SESSION_KEY not in portal.session


def test_callback_with_a_state_we_did_not_send_is_refused(portal, web_app):
    app, _ = web_app
    start(portal, app)

    response = portal.get(reverse("portal:playground-callback"), {"code": "abc", "state": "forged"})

    assert response.status_code == 400
    assert b"state does not match" in response.content
    assert "form" not in response.context


def test_callback_from_another_issuer_is_refused(portal, web_app):
    app, _ = web_app
    flow = start(portal, app).context["flow"]

    response = portal.get(
        reverse("portal:playground-callback"),
        {"code": "abc", "state": flow["state"], "iss": "https://evil.example.test/o"},
    )

    assert response.status_code == 400
    assert b"another authorization server" in response.content


def test_callback_without_a_run_in_progress_is_refused(portal):
    response = portal.get(reverse("portal:playground-callback"), {"code": "x", "state": "y"})

    assert response.status_code == 400
    assert b"No playground run is waiting" in response.content


def test_callback_shows_an_error_the_server_sent_back(portal, web_app):
    app, _ = web_app
    flow = start(portal, app).context["flow"]

    response = portal.get(
        reverse("portal:playground-callback"),
        {"error": "access_denied", "state": flow["state"]},
    )

    assert b"access_denied" in response.content
    assert b"Exchange the code</button>" not in response.content


def test_web_app_flow_ends_with_verified_id_token_and_a_colors_api_call(
    portal, web_app, developer, in_process_http, caplog
):
    caplog.set_level(logging.DEBUG)
    app, secret = web_app
    callback, code = run_to_callback(portal, app)
    assert "no-referrer" == callback["Referrer-Policy"]

    response = portal.post(
        reverse("portal:playground-exchange"), {"code": code, "client_secret": secret}
    )

    assert response.status_code == 200
    exchange = response.context["exchange"]
    assert exchange.status == 200 and exchange.ok
    tokens = response.context["tokens"]
    assert set(tokens) >= {"access_token", "refresh_token", "id_token", "scope"}
    id_token = response.context["id_token"]
    assert id_token["error"] == ""
    assert id_token["claims"]["aud"] == app.client_id
    assert id_token["claims"]["preferred_username"] == "devon"
    assert response.context["api_call"].status == 200
    assert response.context["api_call"].json == []
    # The exact request is shown, the secret masked, and curl leaves it in a variable.
    assert exchange.request_text.startswith("POST /o/token/ HTTP/1.1\nHost: testserver")
    assert f"Basic base64({app.client_id}:<your client secret>)" in exchange.request_text
    assert "code_verifier=" in exchange.request_text
    assert '-u "' + app.client_id + ':$CLIENT_SECRET"' in exchange.curl
    content = response.content.decode()
    assert secret not in content
    assert secret not in str(dict(portal.session))
    assert secret not in caplog.text
    assert portal.session[portal_playground.SESSION_KEY]["code_verifier"] == ""
    sent = in_process_http[0]
    assert sent.headers["Authorization"].startswith("Basic ")
    assert "client_secret" not in (sent.body or "")
    assert AuditEvent.objects.filter(
        type=AuditEvent.Type.TOKEN_ISSUED, application=app, user=developer
    ).exists()


def test_confidential_app_needs_its_secret_pasted(portal, web_app, in_process_http):
    app, _secret = web_app
    _callback, code = run_to_callback(portal, app)

    response = portal.post(reverse("portal:playground-exchange"), {"code": code})

    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["client_secret"]] == [
        "secret_required"
    ]
    assert in_process_http == []


def test_wrong_secret_shows_invalid_client_and_the_code_can_still_be_exchanged(
    portal, web_app, in_process_http
):
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)

    wrong = portal.post(
        reverse("portal:playground-exchange"), {"code": code, "client_secret": "not-it"}
    )
    right = portal.post(
        reverse("portal:playground-exchange"), {"code": code, "client_secret": secret}
    )

    assert wrong.context["exchange"].status == 401
    assert wrong.context["exchange"].json["error"] == "invalid_client"
    assert right.context["exchange"].status == 200


def test_exchanging_twice_is_refused_by_the_playground(portal, web_app, in_process_http):
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)
    exchange = reverse("portal:playground-exchange")
    portal.post(exchange, {"code": code, "client_secret": secret})

    again = portal.post(exchange, {"code": code, "client_secret": secret})

    assert again.status_code == 400
    assert b"exchanged already" in again.content


def test_single_page_app_exchanges_without_a_secret(portal, spa_app, in_process_http):
    _callback, code = run_to_callback(portal, spa_app)

    response = portal.post(reverse("portal:playground-exchange"), {"code": code})

    assert response.context["exchange"].status == 200
    assert response.context["api_call"].status == 200
    sent = in_process_http[0]
    assert "Authorization" not in sent.headers
    assert f"client_id={spa_app.client_id}" in sent.body


def test_refresh_rotates_the_tokens_and_revoke_ends_them(portal, web_app, in_process_http):
    app, secret = web_app
    _callback, code = run_to_callback(portal, app)
    tokens = portal.post(
        reverse("portal:playground-exchange"), {"code": code, "client_secret": secret}
    ).context["tokens"]

    refreshed = portal.post(
        reverse("portal:playground-refresh"),
        {"token": tokens["refresh_token"], "client_secret": secret},
    )
    new_tokens = refreshed.context["tokens"]
    assert refreshed.context["exchange"].status == 200
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    assert refreshed.context["api_call"].status == 200

    revoked = portal.post(
        reverse("portal:playground-revoke"),
        {
            "token": new_tokens["refresh_token"],
            "access_token": new_tokens["access_token"],
            "client_secret": secret,
        },
    )
    assert revoked.context["revoke"].status == 200
    assert revoked.context["api_call"].status == 401
    assert secret not in revoked.content.decode()


def test_refresh_without_the_secret_of_a_confidential_app_is_refused(portal, web_app):
    app, _ = web_app
    start(portal, app)

    response = portal.post(reverse("portal:playground-refresh"), {"token": "abc"})

    assert response.status_code == 400


def test_playground_steps_are_post_only(portal):
    for name in ("playground-exchange", "playground-refresh", "playground-revoke"):
        assert portal.get(reverse(f"portal:{name}")).status_code == 405


def test_unreachable_token_endpoint_is_reported_not_a_500(portal, web_app, monkeypatch):
    import requests

    app, secret = web_app
    _callback, code = run_to_callback(portal, app)

    class Down(requests.Session):
        def request(self, *args, **kwargs):
            raise requests.ConnectionError("refused")

    monkeypatch.setattr(portal_playground, "http_session", Down)

    response = portal.post(
        reverse("portal:playground-exchange"), {"code": code, "client_secret": secret}
    )

    assert response.status_code == 200
    assert "Could not reach https://testserver/o/token/" in response.content.decode()
