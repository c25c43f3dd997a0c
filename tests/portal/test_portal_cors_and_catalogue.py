"""A single-page app registered with its origin may call our endpoints from the browser (CORS);
the API catalogue lists every API with its audience, scopes and endpoints; the OpenAPI document
and Swagger UI come from our own server."""

import pytest
from django.urls import reverse

from oauth_portal.server.models import Application
from tests.factories import ApiResourceFactory, ScopeFactory
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db

SPA_ORIGIN = "https://spa.example.test"
OTHER_ORIGIN = "https://evil.example.test"


def preflight(client, path: str, origin: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )


@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/", "/o/userinfo/", "/api/colors/"])
def test_registered_spa_origin_gets_its_own_origin_back(client, spa_app, path):
    response = preflight(client, path, SPA_ORIGIN)

    assert response["Access-Control-Allow-Origin"] == SPA_ORIGIN


@pytest.mark.parametrize("path", ["/o/token/", "/api/colors/"])
def test_unregistered_origin_gets_no_cors_headers(client, spa_app, path):
    response = preflight(client, path, OTHER_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response


def test_spa_calls_the_colors_api_from_its_origin(client, spa_app, developer):
    token = mint_access_token(user=developer, app=spa_app, scope="colors:read")

    allowed = client.get(
        "/api/colors/", HTTP_ORIGIN=SPA_ORIGIN, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    refused = client.get(
        "/api/colors/", HTTP_ORIGIN=OTHER_ORIGIN, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "Access-Control-Allow-Origin" not in refused


def test_origin_of_a_suspended_spa_is_no_longer_allowed(client, spa_app):
    Application.objects.filter(pk=spa_app.pk).update(status=Application.Status.SUSPENDED)

    assert "Access-Control-Allow-Origin" not in preflight(client, "/o/token/", SPA_ORIGIN)


def test_origin_added_in_settings_is_allowed_at_once(client, portal, spa_app):
    portal.post(
        reverse("portal:application-update", args=[spa_app.pk]),
        {
            "name": spa_app.name,
            "redirect_uris": "https://spa.example.test/callback",
            "allowed_origins": f"{SPA_ORIGIN}\nhttps://beta.spa.example.test",
            "allowed_scopes": ["openid"],
        },
    )

    response = preflight(client, "/o/token/", "https://beta.spa.example.test")

    assert response["Access-Control-Allow-Origin"] == "https://beta.spa.example.test"


def test_catalogue_lists_each_api_with_audience_scopes_and_endpoints(client):
    response = client.get(reverse("portal:apis"))

    assert response.status_code == 200
    colors = next(g for g in response.context["api_groups"] if g["title"] == "Colors API")
    assert colors["api"].identifier == "https://api.example.test/colors"
    assert [scope.name for scope in colors["scopes"]] == ["colors:read", "colors:write"]
    assert [(op["method"], op["path"], op["scopes"]) for op in colors["operations"]] == [
        ("GET", "/api/colors/", ["colors:read"]),
        ("POST", "/api/colors/", ["colors:write"]),
        ("GET", "/api/colors/palettes/", ["colors:read"]),
    ]
    content = response.content.decode()
    assert "See your saved colors" in content and "List your saved colors" in content
    assert "https://api.example.test/colors" in content
    assert [scope.name for scope in response.context["openid_group"]["scopes"]] == [
        "openid",
        "profile",
        "email",
        "offline_access",
    ]


def test_a_new_api_appears_in_the_catalogue(client):
    api = ApiResourceFactory(name="Invoices API", description="Bills and payments.")
    ScopeFactory(name="invoices:read", description="See your invoices", api=api)

    content = client.get(reverse("portal:apis")).content.decode()

    assert "Invoices API" in content and "Bills and payments." in content
    assert "invoices:read" in content and api.identifier in content


def test_openapi_document_has_the_oauth_authorization_code_scheme(client):
    response = client.get(reverse("portal:api-schema"), secure=True)

    assert response.status_code == 200
    document = response.json()
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "https://testserver/o/authorize/"
    assert flow["tokenUrl"] == "https://testserver/o/token/"
    assert flow["scopes"]["colors:read"] == "See your saved colors"
    operation = document["paths"]["/api/colors/"]["post"]
    assert operation["security"] == [{"oauth2": ["colors:write"]}]


def test_swagger_ui_is_served_from_our_static_files_without_inline_script(client):
    page = client.get(reverse("portal:api-docs"))
    script = client.get(reverse("portal:api-docs"), {"script": ""})

    content = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in content
    assert "cdn" not in content.lower() and "https://" not in content
    assert "<script>" not in content  # the init script is a separate file (CSP)
    assert script.status_code == 200
    assert reverse("portal:api-schema") in script.content.decode()


def test_swagger_oauth_redirect_page_keeps_the_query(client):
    response = client.get(reverse("portal:api-docs-oauth2-redirect"), {"code": "c", "state": "s"})

    assert response.status_code == 302
    assert response["Location"].endswith("swagger-ui-dist/oauth2-redirect.html?code=c&state=s")
