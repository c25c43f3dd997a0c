"""A service (client credentials, no user) in the portal: its page offers API scopes only and
no user counts, and the playground runs the client-credentials grant for it: the secret is
pasted for the one token request, the token calls the Colors API's shared palettes, and a
user's colors are refused."""

import logging
import re

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application
from tests.portal.helpers import PLAYGROUND, register

pytestmark = pytest.mark.django_db

RUN = reverse("portal:playground-client-credentials")


def register_service(owner, **fields):
    values = {"kind": Application.Kind.SERVICE, "redirect_uris": [], "name": "Nightly sync"}
    return register(owner, **{**values, **fields})


@pytest.fixture
def service(developer):
    from oauth_portal.server.models import Scope

    app, secret = register_service(developer)
    app.allowed_scopes.set(Scope.objects.filter(name__in=["colors:read", "colors:write"]))
    return app, secret


def checkbox_values(content: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)"', content))


def test_registering_a_service_in_the_portal_gives_a_client_credentials_client(portal):
    response = portal.post(
        reverse("portal:application-register"),
        {"name": "Nightly sync", "kind": "service", "allowed_scopes": ["colors:read"]},
    )

    assert response.status_code == 200, response.context["form"].errors
    app = Application.objects.get(name="Nightly sync")
    assert app.authorization_grant_type == "client-credentials"
    assert app.client_type == "confidential"
    assert response.context["client_secret"]


def test_a_service_page_offers_api_scopes_only(portal, service):
    app, _secret = service

    response = portal.get(reverse("portal:application-detail", args=[app.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    offered = checkbox_values(content, "allowed_scopes")
    assert offered >= {"colors:read", "colors:write"}
    assert offered.isdisjoint({"openid", "profile", "email"})
    assert "Sign-in and profile (OpenID Connect)" not in content
    assert "authorized this app" not in content
    assert checkbox_values(content, "required_scopes") == set()  # no consent page to require on


def test_a_sign_in_app_page_still_offers_the_openid_scopes(portal, web_app):
    app, _secret = web_app

    content = portal.get(reverse("portal:application-detail", args=[app.pk])).content.decode()

    assert {"openid", "profile", "email"} <= checkbox_values(content, "allowed_scopes")
    assert "authorized this app" in content


def test_a_service_page_shows_how_to_get_a_token(portal, service):
    app, _secret = service

    response = portal.get(reverse("portal:application-detail", args=[app.pk]))

    content = response.content.decode()
    assert "grant_type=client_credentials" in content
    assert 'scope="colors:read colors:write"' in content
    assert f"{PLAYGROUND}?app={app.pk}" in content


def test_a_service_keeps_its_settings_when_saved_from_its_page(portal, service):
    app, _secret = service

    response = portal.post(
        reverse("portal:application-update", args=[app.pk]),
        {"name": "Nightly sync 2", "allowed_scopes": ["colors:read"]},
    )

    assert response.status_code == 302
    app.refresh_from_db()
    assert app.name == "Nightly sync 2"
    assert list(app.allowed_scopes.values_list("name", flat=True)) == ["colors:read"]


def test_the_playground_opens_for_a_service(portal, service):
    app, _secret = service

    response = portal.get(PLAYGROUND, {"app": app.pk})

    assert response.status_code == 200
    content = response.content.decode()
    assert "client-credentials grant" in content
    assert checkbox_values(content, "scopes") == {"colors:read", "colors:write"}
    assert 'name="client_secret"' in content
    assert f'<option value="{app.pk}" selected>' in content


def test_a_service_run_gets_a_token_and_reads_the_shared_palettes(
    portal, service, developer, in_process_http, caplog
):
    caplog.set_level(logging.DEBUG)
    app, secret = service

    response = portal.post(
        RUN, {"application": app.pk, "scopes": ["colors:read"], "client_secret": secret}
    )

    assert response.status_code == 200
    exchange = response.context["exchange"]
    assert exchange.status == 200
    assert response.context["tokens"]["scope"] == "colors:read"
    assert "refresh_token" not in response.context["tokens"]
    assert "grant_type=client_credentials" in exchange.request_text
    assert f"Basic base64({app.client_id}:<your client secret>)" in exchange.request_text
    palettes, colors = response.context["calls"]["palettes"], response.context["calls"]["colors"]
    assert palettes.status == 200 and palettes.json[0]["slug"] == "sea"
    assert colors.status == 403 and 'error="insufficient_scope"' in colors.response_text
    content = response.content.decode()
    assert "Token received." in content and "GET /api/colors/palettes/" in content
    assert secret not in content
    assert secret not in str(dict(portal.session))
    assert secret not in caplog.text
    assert in_process_http[0].headers["Authorization"].startswith("Basic ")
    assert AuditEvent.objects.filter(type=AuditEvent.Type.TOKEN_ISSUED, application=app).exists()


def test_a_service_run_needs_the_secret(portal, service, in_process_http):
    app, _secret = service

    response = portal.post(RUN, {"application": app.pk, "scopes": ["colors:read"]})

    assert response.status_code == 400
    assert "Paste this service&#x27;s client secret" in response.content.decode()
    assert in_process_http == []


def test_a_wrong_secret_shows_invalid_client_and_calls_no_api(portal, service, in_process_http):
    app, _secret = service

    response = portal.post(
        RUN, {"application": app.pk, "scopes": ["colors:read"], "client_secret": "wrong"}
    )

    assert response.context["exchange"].status == 401
    assert response.context["exchange"].json["error"] == "invalid_client"
    assert response.context["calls"] == {}
    assert len(in_process_http) == 1


def test_a_service_run_cannot_ask_for_scopes_the_service_may_not(portal, service, in_process_http):
    app, secret = service

    response = portal.post(
        RUN, {"application": app.pk, "scopes": ["openid"], "client_secret": secret}
    )

    assert response.status_code == 400
    assert in_process_http == []


@pytest.mark.parametrize("value", ["", "abc", "99999999999999999999999", "-1"])
def test_a_run_naming_no_service_of_yours_is_a_404(portal, value):
    response = portal.post(RUN, {"application": value, "client_secret": "x"})

    assert response.status_code == 404


def test_another_developers_service_is_a_404(portal, other_developer, in_process_http):
    app, secret = register_service(other_developer)

    assert portal.get(PLAYGROUND, {"app": app.pk}).status_code == 404
    response = portal.post(
        RUN, {"application": app.pk, "scopes": ["colors:read"], "client_secret": secret}
    )
    assert response.status_code == 404
    assert in_process_http == []


def test_a_sign_in_app_is_not_run_as_a_service(portal, web_app, in_process_http):
    app, secret = web_app

    response = portal.post(
        RUN, {"application": app.pk, "scopes": ["colors:read"], "client_secret": secret}
    )

    assert response.status_code == 404
    assert in_process_http == []


def test_a_service_run_ignores_the_host_header(portal, service, in_process_http, settings):
    # The token request goes to the configured base URL; in_process_http answers only there.
    settings.PORTAL_INTERNAL_BASE_URL = "https://testserver"
    app, secret = service

    response = portal.post(
        RUN,
        {"application": app.pk, "scopes": ["colors:read"], "client_secret": secret},
        HTTP_HOST="127.0.0.1:6379",
        SERVER_NAME="127.0.0.1",
    )

    assert [request.url for request in in_process_http][0] == "https://testserver/o/token/"
    assert response.context["exchange"].status == 200
