"""Hostile input at the playground's client-credentials run (a service's playground): any app
choice, scope or secret is a 4xx or the page with its errors, never a 500, and changes
nothing."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import ApplicationFactory
from tests.hostile import strategies as hs
from tests.hostile.harness import assert_no_server_error, assert_nothing_changed, send

pytestmark = pytest.mark.django_db

RUN = "/portal/playground/client-credentials/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def service(client):
    app = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )
    client.force_login(app.user)
    return app


def body_of(fields: dict) -> bytes:
    return "&".join(
        f"{quote(key)}={quote(str(item), safe='')}"
        for key, values in fields.items()
        for item in (values if isinstance(values, list) else [values])
    ).encode()


@given(
    application=st.one_of(hs.hostile_text(), st.just("{service}")),
    scope=st.one_of(hs.hostile_text(), st.sampled_from(["colors:read", "openid", ""])),
    secret=hs.hostile_text(),
)
def test_a_hostile_client_credentials_run_is_not_a_server_error(
    client, service, application, scope, secret
):
    fields = {
        "application": application.replace("{service}", str(service.pk)),
        "scopes": [scope],
        "client_secret": secret,
    }

    exchange = send(client, "POST", RUN, body=body_of(fields), content_type=FORM)

    assert_no_server_error(exchange)
    assert exchange.status in (200, 400, 404), str(exchange)
    assert_nothing_changed(exchange)


@given(raw=hs.raw_value())
def test_a_raw_hostile_body_is_not_a_server_error(client, service, raw):
    body = b"application=" + str(service.pk).encode() + b"&scopes=colors:read&client_secret=" + raw

    exchange = send(client, "POST", RUN, body=body, content_type=FORM)

    assert_no_server_error(exchange)
    assert_nothing_changed(exchange)
