"""Registering an app in the portal: the kinds, the validation a developer sees for each bad
redirect URI or origin, the credentials page shown once, and what is stored."""

import logging

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application
from tests.portal.helpers import PLAYGROUND_CALLBACK

pytestmark = pytest.mark.django_db

REGISTER = reverse("portal:application-register")


def form_data(**overrides) -> dict:
    data = {
        "name": "Palette",
        "kind": "web",
        "description": "Keeps your colors.",
        "homepage_url": "https://palette.example.test/",
        "redirect_uris": "https://palette.example.test/callback",
        "allowed_scopes": ["openid", "profile", "colors:read"],
        "required_scopes": ["colors:read"],
    }
    return {k: v for k, v in {**data, **overrides}.items() if v is not None}


def error_codes(response, field: str) -> list[str]:
    return [error.code for error in response.context["form"].errors.as_data().get(field, [])]


def test_portal_without_apps_shows_the_first_step(portal):
    response = portal.get(reverse("portal:index"))

    assert response.status_code == 200
    assert b"Register your first app" in response.content


def test_portal_needs_sign_in(client):
    response = client.get(reverse("portal:index"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/portal/")


def test_register_form_offers_the_catalogue_scopes_grouped_by_api(portal):
    response = portal.get(REGISTER)

    groups = {
        group["title"]: [row["scope"].name for row in group["rows"]]
        for group in response.context["scope_groups"]
    }
    assert groups["Colors API"] == ["colors:read", "colors:write"]
    assert groups["Sign-in and profile (OpenID Connect)"] == [
        "openid",
        "profile",
        "email",
        "offline_access",
    ]
    assert b"https://api.example.test/colors" in response.content


def test_registering_a_web_app_shows_its_secret_once_and_stores_only_a_hash(portal, developer):
    response = portal.post(REGISTER, form_data(playground_enabled="on"))

    assert response.status_code == 200
    assert response.templates[0].name == "portal/credentials.html"
    assert "no-store" in response["Cache-Control"]
    secret = response.context["client_secret"]
    app = Application.objects.get(name="Palette")
    assert app.user == developer
    assert (app.client_type, app.authorization_grant_type, app.kind) == (
        Application.CLIENT_CONFIDENTIAL,
        Application.GRANT_AUTHORIZATION_CODE,
        Application.Kind.WEB,
    )
    assert secret in response.content.decode()
    assert app.client_id in response.content.decode()
    assert b"cannot be shown again" in response.content
    assert app.client_secret.startswith("portal_hmac_sha256$")
    assert secret not in app.client_secret
    assert app.redirect_uris.split() == [
        "https://palette.example.test/callback",
        PLAYGROUND_CALLBACK,
    ]
    assert {s.name for s in app.allowed_scopes.all()} == {"openid", "profile", "colors:read"}
    assert {s.name for s in app.required_scopes.all()} == {"colors:read"}
    event = AuditEvent.objects.get(type=AuditEvent.Type.CLIENT_CREATED, application=app)
    assert event.actor == developer
    assert secret not in str(event.details)


def test_the_secret_is_never_logged(portal, caplog):
    caplog.set_level(logging.DEBUG)

    response = portal.post(REGISTER, form_data())
    secret = response.context["client_secret"]
    app = response.context["application"]
    rotated = portal.post(reverse("portal:secret-rotate", args=[app.pk]), {"grace": "3600"})
    new_secret = rotated.context["client_secret"]

    assert secret and new_secret
    assert secret not in caplog.text and new_secret not in caplog.text
    assert secret not in str(dict(portal.session)) and new_secret not in str(dict(portal.session))


@pytest.mark.parametrize(
    ("kind", "extra", "client_type", "grant"),
    [
        (
            "spa",
            {"allowed_origins": "https://palette.example.test"},
            "public",
            "authorization-code",
        ),
        (
            "native",
            {"redirect_uris": "com.example.palette:/callback"},
            "public",
            "authorization-code",
        ),
        (
            "service",
            {"redirect_uris": "", "allowed_scopes": ["colors:read"], "required_scopes": []},
            "confidential",
            "client-credentials",
        ),
    ],
)
def test_each_kind_maps_to_its_client_type_and_grant(portal, kind, extra, client_type, grant):
    response = portal.post(REGISTER, form_data(kind=kind, **extra))

    assert response.status_code == 200, response.context["form"].errors
    app = Application.objects.get(name="Palette")
    assert (app.client_type, app.authorization_grant_type) == (client_type, grant)
    assert bool(response.context["client_secret"]) == (client_type == "confidential")
    if kind == "spa":
        assert app.allowed_origins == "https://palette.example.test"


def test_loopback_http_redirect_uris_are_allowed_while_developing(portal):
    uris = "http://127.0.0.1:5173/callback\nhttp://localhost:3000/cb\nhttp://[::1]:8080/cb"

    response = portal.post(REGISTER, form_data(redirect_uris=uris))

    assert response.status_code == 200, response.context["form"].errors
    assert Application.objects.get(name="Palette").redirect_uris.split()[:3] == uris.split()


@pytest.mark.parametrize(
    ("kind", "uri", "code"),
    [
        ("web", "/callback", "relative_redirect_uri"),
        ("web", "palette.example.test/callback", "relative_redirect_uri"),
        ("web", "http://palette.example.test/callback", "insecure_redirect_uri"),
        ("web", "https://palette.example.test/callback#done", "fragment_redirect_uri"),
        ("web", "https://*.example.test/callback", "wildcard_redirect_uri"),
        ("web", "https://palette.example.test/*", "wildcard_redirect_uri"),
        ("web", "https://user:pass@palette.example.test/callback", "userinfo_redirect_uri"),
        ("web", "https://palette.example.test:99999/callback", "invalid_uri"),
        ("web", "com.example.palette:/callback", "private_scheme_not_native"),
        ("spa", "com.example.palette:/callback", "private_scheme_not_native"),
        ("native", "palette:/callback", "private_scheme_not_reverse_domain"),
        ("native", "http://evil.example.test/callback", "insecure_redirect_uri"),
    ],
)
def test_bad_redirect_uri_is_refused_with_a_field_error(portal, kind, uri, code):
    extra = {"allowed_origins": "https://palette.example.test"} if kind == "spa" else {}

    response = portal.post(REGISTER, form_data(kind=kind, redirect_uris=uri, **extra))

    assert response.status_code == 200
    assert error_codes(response, "redirect_uris") == [code]
    assert uri in response.content.decode()  # the message names the URI at fault
    assert not Application.objects.exists()


def test_every_bad_uri_is_reported_not_just_the_first(portal):
    uris = "https://ok.example.test/cb\nhttp://plain.example.test/cb\nhttps://x.example.test/#f"

    response = portal.post(REGISTER, form_data(redirect_uris=uris))

    assert error_codes(response, "redirect_uris") == [
        "insecure_redirect_uri",
        "fragment_redirect_uri",
    ]


def test_bad_post_logout_redirect_uri_is_refused(portal):
    response = portal.post(
        REGISTER, form_data(post_logout_redirect_uris="http://palette.example.test/bye")
    )

    assert error_codes(response, "post_logout_redirect_uris") == ["insecure_redirect_uri"]


@pytest.mark.parametrize(
    ("origin", "code"),
    [
        ("https://palette.example.test/", "origin_with_path"),
        ("https://palette.example.test/app", "origin_with_path"),
        ("https://palette.example.test?x=1", "origin_with_path"),
        ("http://palette.example.test", "insecure_origin"),
        ("https://*.example.test", "wildcard_origin"),
        ("palette.example.test", "invalid_origin"),
    ],
)
def test_bad_origin_is_refused_with_a_field_error(portal, origin, code):
    response = portal.post(REGISTER, form_data(kind="spa", allowed_origins=origin))

    assert error_codes(response, "allowed_origins") == [code]
    assert not Application.objects.exists()


def test_origin_with_a_path_says_what_to_write_instead(portal):
    response = portal.post(
        REGISTER, form_data(kind="spa", allowed_origins="https://palette.example.test/app")
    )

    assert "Use https://palette.example.test." in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"kind": "spa", "allowed_origins": ""}, "allowed_origins", "origin_required"),
        (
            {"allowed_origins": "https://palette.example.test"},
            "allowed_origins",
            "origins_for_spa_only",
        ),
        ({"redirect_uris": ""}, "redirect_uris", "redirect_uri_required"),
        (
            {"kind": "service", "allowed_scopes": ["colors:read"], "required_scopes": []},
            "redirect_uris",
            "not_for_service",
        ),
        ({"kind": "service", "redirect_uris": ""}, "allowed_scopes", "openid_for_service"),
        ({"allowed_scopes": [], "required_scopes": []}, "allowed_scopes", "scope_required"),
        (
            {"allowed_scopes": ["openid"], "required_scopes": ["colors:read"]},
            "required_scopes",
            "required_not_allowed",
        ),
        ({"kind": None}, "kind", "required"),
        ({"logo_url": "not a url"}, "logo_url", "invalid"),
    ],
)
def test_rules_of_each_kind_are_explained_on_the_field(portal, overrides, field, code):
    response = portal.post(REGISTER, form_data(**overrides))

    assert response.status_code == 200
    assert code in error_codes(response, field)
    assert not Application.objects.exists()


def test_redirect_uris_may_be_empty_when_only_the_playground_is_used(portal):
    response = portal.post(REGISTER, form_data(redirect_uris="", playground_enabled="on"))

    assert response.status_code == 200
    assert Application.objects.get().redirect_uris == PLAYGROUND_CALLBACK


def test_playground_needs_https_or_loopback_to_be_a_redirect_uri(developer):
    from django.test import Client

    plain = Client()  # http://testserver: neither https nor loopback
    plain.force_login(developer)

    response = plain.post(REGISTER, form_data(playground_enabled="on"))

    assert error_codes(response, "playground_enabled") == ["playground_unavailable"]


def test_errors_from_the_model_are_shown_on_their_field(portal, monkeypatch):
    from django.core.exceptions import ValidationError

    from oauth_portal.portal import services

    def refuse(**kwargs):
        raise ValidationError({"redirect_uris": ["Refused by the model."], "algorithm": ["Bad."]})

    monkeypatch.setattr(services, "application_register", refuse)

    response = portal.post(REGISTER, form_data())

    form = response.context["form"]
    assert form.errors["redirect_uris"] == ["Refused by the model."]
    assert form.non_field_errors() == ["Bad."]


def test_index_lists_only_the_developers_own_apps(portal, developer, other_developer):
    from tests.portal.helpers import register

    register(developer, name="Mine")
    register(other_developer, name="Theirs")

    response = portal.get(reverse("portal:index"))

    assert [app.name for app in response.context["applications"]] == ["Mine"]
    assert b"Theirs" not in response.content
