"""Rows the token endpoint reads through queries compiled once per process must be the very
rows the ORM would give: every field converted, related rows attached, annotations set, and the
client's current state (a secret rotated, an app suspended a moment ago) at once."""

import pytest
from django.db import transaction
from oauth2_provider.models import get_grant_model, get_refresh_token_model

from oauth_portal.db import compiled_queries
from oauth_portal.server import sign_in_sessions
from oauth_portal.server.clients import application_for_client_id
from oauth_portal.server.validator_redemption import _code_rows, _refresh_token_rows
from tests.factories import ApplicationFactory
from tests.oauth_helpers import get_code, redeem, token_request

pytestmark = pytest.mark.django_db


def field_values(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_a_client_row_is_the_one_the_orm_reads(app):
    compiled = application_for_client_id(app.client_id)
    again = application_for_client_id(app.client_id)

    expected = field_values(type(app).objects.get(pk=app.pk))
    assert field_values(compiled) == expected
    assert field_values(again) == expected
    assert application_for_client_id("no-such-client") is None


def test_a_client_changed_a_moment_ago_is_read_as_it_is_now(client):
    service = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )
    body = {"grant_type": "client_credentials", "scope": "colors:read"}
    assert token_request(client, service, body).status_code == 200

    service.status = service.Status.SUSPENDED
    service.save()

    assert application_for_client_id(service.client_id).status == service.Status.SUSPENDED
    refused = token_request(client, service, body)
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


def test_a_code_row_comes_with_its_user_sign_in_record_and_session(signed_in, app, user):
    code, _verifier = get_code(signed_in, app, scope="openid colors:read")
    checksum = sign_in_sessions.code_checksum(code)

    with transaction.atomic():
        (compiled,) = compiled_queries.instances(
            "test-code", _code_rows, code=code, checksum=checksum
        )
        (orm,) = list(_code_rows(code=code, checksum=checksum))

    assert field_values(compiled) == field_values(orm)
    assert compiled.user == user and field_values(compiled.user) == field_values(orm.user)
    assert compiled.portal_sid == orm.portal_sid
    assert get_grant_model().objects.filter(code=code).count() == 1


def test_a_refresh_token_row_comes_with_its_access_token_user_and_client(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")
    refresh_token = redeem(signed_in, app, code, verifier).json()["refresh_token"]
    checksum = get_refresh_token_model().objects.get(application=app).token_checksum

    with transaction.atomic():
        (compiled,) = compiled_queries.instances(
            "test-refresh", _refresh_token_rows, checksum=checksum
        )
        (orm,) = list(_refresh_token_rows(checksum=checksum))

    assert refresh_token
    assert field_values(compiled) == field_values(orm)
    assert field_values(compiled.access_token) == field_values(orm.access_token)
    assert field_values(compiled.application) == field_values(orm.application)
    assert compiled.user == orm.user


def test_a_query_whose_key_the_orm_transforms_is_never_compiled(app):
    def by_name_prefix(*, prefix):
        return type(app).objects.filter(name__startswith=prefix)

    found = compiled_queries.instances("test-prefix", by_name_prefix, prefix=app.name[:3])

    assert app in found
    compiled = [entry for key, entry in compiled_queries._compiled.items() if "test-prefix" in key]
    assert compiled == [compiled_queries._UNCACHEABLE]
