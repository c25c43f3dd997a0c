"""Hostile input at the developer portal's forms: registering an app, changing its settings,
rotating its secret, the playground. A refused form is re-rendered with its errors (200 or
400); an app is created or changed only from valid input, and only the developer's own."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import ApplicationFactory, UserFactory
from tests.hostile import strategies as hs
from tests.hostile.harness import (
    Exchange,
    assert_no_server_error,
    assert_nothing_changed,
    send,
)

pytestmark = pytest.mark.django_db

try:
    from oauth_portal.portal import urls as portal_urls  # noqa: F401
except ImportError:  # pragma: no cover - the portal is optional while it is being built
    pytest.skip(
        "no developer portal (oauth_portal/portal_urls.py) in this build", allow_module_level=True
    )

FORM = "application/x-www-form-urlencoded"
REGISTRATION = {
    "name": "Hostile test app",
    "kind": "web",
    "description": "An app",
    "homepage_url": "https://app.example.test/",
    "logo_url": "",
    "privacy_policy_url": "",
    "terms_url": "",
    "redirect_uris": "https://app.example.test/callback",
    "post_logout_redirect_uris": "",
    "allowed_origins": "",
    "allowed_scopes": ["openid", "profile"],
    "required_scopes": [],
}
REGISTRATION_FIELDS = [*REGISTRATION, "playground_enabled"]
INTERESTING = {
    "kind": ["web", "spa", "native", "service", "WEB", "", "admin"],
    "redirect_uris": [
        "https://app.example.test/cb\nhttps://app.example.test/cb",
        "https://*.example.test/cb",
        "https://user:pw@app.example.test/cb",
        "http://app.example.test/cb",
        "http://127.0.0.1:8080/cb",
        "com.example.app:/cb",
        "javascript:alert(1)",
        "https://app.example.test:99999/cb",
        "https://[::1/cb",
        "\n".join(f"https://app.example.test/{i}" for i in range(25)),
        "https://app.example.test/" + "a" * 3000,
    ],
    "allowed_origins": ["https://app.example.test", "https://app.example.test/", "null", "*"],
    "allowed_scopes": ["openid", "colors:write", "no-such-scope", ""],
    "required_scopes": ["openid", "colors:write", "no-such-scope"],
}


@pytest.fixture
def developer(app, client):
    client.force_login(app.user)
    return app.user


def body_of(fields: dict) -> bytes:
    pairs = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{quote(key)}={quote(str(item), safe='')}")
    return "&".join(pairs).encode()


def field_and_value():
    field = st.sampled_from(REGISTRATION_FIELDS)
    return field.flatmap(
        lambda name: st.tuples(
            st.just(name),
            st.one_of(
                hs.hostile_text(),
                *([st.sampled_from(INTERESTING[name])] if name in INTERESTING else []),
            ),
        )
    )


def assert_form_refused(exchange: Exchange, form_name: str = "form") -> None:
    assert_no_server_error(exchange)
    assert exchange.status in (200, 400), str(exchange)
    if exchange.status == 200:
        form = exchange.response.context[form_name]
        assert form.is_bound and form.errors, f"200 without form errors:\n{exchange}"
    assert_nothing_changed(exchange)


@given(change=field_and_value(), mode=st.sampled_from(["replace", "repeat", "drop"]))
def test_registration_with_one_hostile_field_registers_only_valid_apps(
    client, developer, change, mode
):
    name, value = change
    fields = dict(REGISTRATION)
    if mode == "replace":
        fields[name] = value
    elif mode == "repeat":
        fields[name] = [
            *(fields.get(name) if isinstance(fields.get(name), list) else [fields.get(name, "")]),
            value,
        ]
    else:
        fields.pop(name, None)

    exchange = send(client, "POST", "/portal/apps/new/", body=body_of(fields), content_type=FORM)

    assert_no_server_error(exchange)
    context = exchange.response.context
    if exchange.status == 200 and context and context.get("registered"):
        # Valid after all: one new app, owned by the developer, with clean redirect URIs.
        assert exchange.added == {"portal_server.Application": 1}, str(exchange)
        application = context["application"]
        assert application.user_id == developer.pk
        for uri in application.redirect_uris.split():
            assert uri.isprintable() and "*" not in uri and "@" not in uri, str(exchange)
    else:
        assert_form_refused(exchange)


@given(
    pairs=hs.form_pairs(REGISTRATION_FIELDS, huge=True),
    content_type=st.sampled_from(hs.NON_MULTIPART_CONTENT_TYPES),
)
def test_registration_garbage_registers_nothing(client, developer, pairs, content_type):
    exchange = send(
        client, "POST", "/portal/apps/new/", body=hs.urlencoded(pairs), content_type=content_type
    )

    assert_form_refused(exchange)


@given(change=field_and_value())
def test_settings_change_with_one_hostile_field_keeps_the_app_sound(client, developer, app, change):
    name, value = change
    if name in ("kind", "playground_enabled"):
        return  # not settings fields
    fields = {**REGISTRATION, "name": app.name, "redirect_uris": app.redirect_uris, name: value}
    fields.pop("kind")

    exchange = send(
        client, "POST", f"/portal/apps/{app.pk}/settings/", body=body_of(fields), content_type=FORM
    )

    assert_no_server_error(exchange)
    if exchange.status == 302:
        assert exchange.response["Location"] == f"/portal/apps/{app.pk}/", str(exchange)
        assert not exchange.added, str(exchange)
        app.refresh_from_db()
        for uri in app.redirect_uris.split():
            assert uri.isprintable() and "*" not in uri, str(exchange)
    else:
        assert_form_refused(exchange, form_name="settings_form")


@given(grace=hs.hostile_text(huge=False))
def test_secret_rotation_with_a_hostile_grace_rotates_nothing(client, developer, app, grace):
    if grace in ("0", "3600", "86400", "604800"):
        return
    exchange = send(
        client,
        "POST",
        f"/portal/apps/{app.pk}/secret/rotate/",
        body=body_of({"grace": grace}),
        content_type=FORM,
    )

    assert_no_server_error(exchange)
    assert exchange.status == 302, str(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize(
    "path",
    [
        "/portal/apps/{pk}/settings/",
        "/portal/apps/{pk}/secret/rotate/",
        "/portal/apps/{pk}/playground/",
        "/portal/apps/{pk}/delete/",
        "/portal/apps/{pk}/secrets/1/delete/",
    ],
)
@pytest.mark.parametrize("pk", ["0", "99999999999999999999999999", "{other}"])
def test_actions_on_an_app_that_is_not_yours_are_404(client, developer, path, pk):
    other = ApplicationFactory(user=UserFactory())
    url = path.format(pk=pk.format(other=other.pk))

    exchange = send(client, "POST", url, body=b"grace=0&enabled=on", content_type=FORM)

    assert exchange.status == 404, str(exchange)
    assert_nothing_changed(exchange)


@given(
    value=st.one_of(hs.hostile_text(), st.integers(-5, 5).map(str)),
    method=st.sampled_from(["GET", "POST"]),
)
def test_playground_with_a_hostile_app_choice_is_not_a_server_error(
    client, developer, app, value, method
):
    if method == "GET":
        exchange = send(client, "GET", "/portal/playground/", query=f"app={quote(value, safe='')}")
    else:
        exchange = send(
            client,
            "POST",
            "/portal/playground/",
            body=body_of({"application": value, "scopes": ["openid", value]}),
            content_type=FORM,
        )

    assert_no_server_error(exchange)
    assert exchange.status in (200, 400, 404), str(exchange)
    assert_nothing_changed(exchange)


@pytest.mark.parametrize("value", ["{other}", "999999", "\u00b2", "99999999999999999999999"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_playground_naming_an_app_you_do_not_own_is_a_4xx(client, developer, app, value, method):
    """Regression: these were 500s (NoReverseMatch in templates/portal/playground.html, and
    ValueError for '²', which str.isdigit() accepts) until PlaygroundView.chosen_app learnt to
    404 another developer's app."""
    other = ApplicationFactory(user=UserFactory())
    value = value.format(other=other.pk)
    if method == "GET":
        exchange = send(client, "GET", "/portal/playground/", query=f"app={quote(value)}")
    else:
        exchange = send(
            client,
            "POST",
            "/portal/playground/",
            body=body_of({"application": value, "scopes": ["openid"]}),
            content_type=FORM,
        )

    assert_no_server_error(exchange)
    assert exchange.status in (200, 400, 404), str(exchange)
    assert other.name.encode() not in exchange.response.content
    assert_nothing_changed(exchange)
