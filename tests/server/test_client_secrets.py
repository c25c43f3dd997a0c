"""Client secrets: a keyed fast hash at rest, old slow hashes upgraded on use, rotation with a
grace period, deletion of a leaked previous secret; each judged by the token endpoint."""

import base64
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from freezegun import freeze_time

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import client_secret_lifecycle
from oauth_portal.server.client_secrets import ClientSecretHMACHasher
from oauth_portal.server.models import Application, ClientSecret
from tests.factories import CLIENT_SECRET, ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_app(db):
    return ApplicationFactory(
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, redirect_uris=""
    )


def client_credentials(client, app, secret, **extra):
    auth = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"} | extra,
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def works(client, app, secret) -> bool:
    response = client_credentials(client, app, secret)
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


def test_secret_is_stored_as_a_keyed_hash_never_in_plain_text(service_app):
    stored = Application.objects.get(pk=service_app.pk).client_secret
    assert stored.startswith("portal_hmac_sha256$")
    assert CLIENT_SECRET not in stored


def test_secret_hashed_with_an_old_slow_hasher_works_and_is_upgraded(client, service_app):
    Application.objects.filter(pk=service_app.pk).update(
        client_secret=make_password(CLIENT_SECRET, hasher="pbkdf2_sha256")
    )
    assert works(client, service_app, CLIENT_SECRET)
    assert Application.objects.get(pk=service_app.pk).client_secret.startswith(
        "portal_hmac_sha256$"
    )
    assert works(client, service_app, CLIENT_SECRET)
    assert not works(client, service_app, "wrong")


def test_rotation_with_grace_keeps_the_old_secret_until_the_grace_ends(client, service_app, user):
    with freeze_time("2026-01-01 12:00:00"):
        new = client_secret_lifecycle.client_secret_rotate(
            application=service_app, actor=user, grace=timedelta(hours=1)
        )
        assert works(client, service_app, new)
        assert works(client, service_app, CLIENT_SECRET)
    with freeze_time("2026-01-01 12:59:00"):
        assert works(client, service_app, CLIENT_SECRET)
    with freeze_time("2026-01-01 13:00:01"):
        assert not works(client, service_app, CLIENT_SECRET)
        assert works(client, service_app, new)
    event = AuditEvent.objects.get(type=AuditEvent.Type.SECRET_ROTATED)
    assert event.details["grace_seconds"] == 3600
    assert new not in str(event.details)


def test_rotation_without_grace_stops_the_old_secret_at_once(client, service_app, user):
    new = client_secret_lifecycle.client_secret_rotate(
        application=service_app, actor=user, grace=timedelta(0)
    )
    assert not works(client, service_app, CLIENT_SECRET)
    assert works(client, service_app, new)
    assert not ClientSecret.objects.exists()


def test_deleting_a_leaked_previous_secret_stops_it_at_once(client, service_app, user):
    client_secret_lifecycle.client_secret_rotate(
        application=service_app, actor=user, grace=timedelta(days=7)
    )
    previous = ClientSecret.objects.get()
    assert client_secret_lifecycle.client_secret_previous_delete(
        application=service_app, secret_id=previous.pk, actor=user
    )
    assert not works(client, service_app, CLIENT_SECRET)


def test_secret_use_is_noted_for_the_app_page(client, service_app):
    assert works(client, service_app, CLIENT_SECRET)
    assert Application.objects.get(pk=service_app.pk).client_secret_last_used_at is not None


def test_secret_in_body_works_and_conflicting_client_ids_fail(client, service_app):
    ok = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "scope": "colors:read",
            "client_id": service_app.client_id,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert ok.status_code == 200
    other = ApplicationFactory()
    conflicting = client_credentials(client, service_app, CLIENT_SECRET, client_id=other.client_id)
    assert conflicting.status_code == 401
    assert conflicting.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"\xff\xfe").decode(),
        "Basic ",
        "Basic Zm9v",
    ],
)
def test_malformed_basic_credentials_are_invalid_client(client, service_app, header):
    response = client.post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_form_urlencoded_basic_credentials_are_decoded(client, db):
    app = ApplicationFactory(
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        redirect_uris="",
        client_secret="s3cret with+plus&amp",
    )
    from urllib.parse import quote_plus

    auth = base64.b64encode(
        f"{quote_plus(app.client_id)}:{quote_plus('s3cret with+plus&amp')}".encode()
    )
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION="Basic " + auth.decode(),
    )
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_stolen_secret_hash_cannot_confirm_a_guess_without_the_server_key(app, settings):
    """Someone holding a copy of the database but not the server's key cannot check a guessed
    client secret offline, not even the right one: the HMAC is keyed with
    PORTAL_CLIENT_SECRET_KEY (or DJANGO_SECRET_KEY), not a constant."""
    stored = Application.objects.get(pk=app.pk).client_secret
    assert ClientSecretHMACHasher().verify(CLIENT_SECRET, stored)

    settings.PORTAL_CLIENT_SECRET_KEY = "the-attackers-best-guess-at-our-key"

    assert not ClientSecretHMACHasher().verify(CLIENT_SECRET, stored)
