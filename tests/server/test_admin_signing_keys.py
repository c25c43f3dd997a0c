"""``rotate_signing_key``: a new key signs from now on, the old one stays in the JWKS until every
token it signed has expired, and every process picks the new key up within
PORTAL_SIGNING_KEY_CACHE_SECONDS."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from oauth2_provider.settings import oauth2_settings

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import signing_keys
from oauth_portal.server.models import SigningKey
from tests.factories import UserFactory
from tests.server.admin_helpers import tokens_for
from tests.server.signing_key_helpers import kid_of, published_kids, verifies

pytestmark = pytest.mark.django_db


@pytest.fixture
def end_user(db):
    return UserFactory(username="alice")


def test_rotation_keeps_old_id_tokens_verifiable_and_signs_new_ones_with_the_new_key(
    app, end_user, capsys, settings
):
    before = tokens_for(end_user, app)["id_token"]
    old_kid = kid_of(before)

    call_command("rotate_signing_key")

    new_key = SigningKey.objects.get(is_current=True)
    assert new_key.kid != old_kid
    assert f"New signing key {new_key.kid} is current." in capsys.readouterr().out
    assert published_kids() == [new_key.kid, old_kid]
    assert verifies(before)
    after = tokens_for(end_user, app)["id_token"]
    assert kid_of(after) == new_key.kid
    assert verifies(after)

    old_key = SigningKey.objects.get(kid=old_kid)
    # The longest a token signed with it lives, plus how long other processes may still sign.
    lifetime = max(
        oauth2_settings.ID_TOKEN_EXPIRE_SECONDS, oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    )
    expected = old_key.retired_at + timedelta(
        seconds=lifetime + settings.PORTAL_SIGNING_KEY_CACHE_SECONDS
    )
    assert (old_key.is_current, old_key.published_until) == (False, expected)
    event = AuditEvent.objects.get(type=AuditEvent.Type.SIGNING_KEY_ROTATED)
    assert (event.details["kid"], event.details["retired_kid"]) == (new_key.kid, old_kid)
    assert "PRIVATE KEY" not in str(event.details)


def test_old_key_leaves_the_jwks_once_its_tokens_have_expired(app, end_user):
    before = tokens_for(end_user, app)["id_token"]
    old_kid = kid_of(before)
    call_command("rotate_signing_key")
    published_until = SigningKey.objects.get(kid=old_kid).published_until

    with freeze_time(published_until - timedelta(seconds=1)):
        signing_keys.forget_memoised_keys()
        assert old_kid in published_kids()
    with freeze_time(published_until + timedelta(seconds=1)):
        signing_keys.forget_memoised_keys()
        assert old_kid not in published_kids()
        assert not verifies(before)


def test_other_processes_pick_up_the_new_key_within_the_cache_time(
    app, end_user, monkeypatch, settings
):
    with freeze_time("2026-05-01 12:00:00") as clock:
        old_kids = published_kids()  # memoised by this "process"
        # The rotation runs in another process: it cannot make this one forget its keys.
        monkeypatch.setattr(signing_keys, "forget_memoised_keys", lambda: None)
        call_command("rotate_signing_key")
        new_kid = SigningKey.objects.get(is_current=True).kid

        assert published_kids() == old_kids
        clock.tick(timedelta(seconds=settings.PORTAL_SIGNING_KEY_CACHE_SECONDS + 1))
        assert published_kids() == [new_kid, *old_kids]
        assert kid_of(tokens_for(end_user, app)["id_token"]) == new_kid


def test_rotation_on_an_empty_table_creates_the_first_key(db):
    call_command("rotate_signing_key")

    assert SigningKey.objects.get().is_current
    assert published_kids() == [SigningKey.objects.get().kid]


def test_two_rotations_publish_every_key_still_needed(db):
    call_command("rotate_signing_key")
    call_command("rotate_signing_key")
    call_command("rotate_signing_key")

    current = SigningKey.objects.get(is_current=True)
    assert published_kids()[0] == current.kid
    assert len(published_kids()) == 3
    assert SigningKey.objects.filter(published_until__gt=timezone.now()).count() == 2


def test_signing_keys_are_listed_in_the_admin_without_private_keys(admin_client):
    call_command("rotate_signing_key")
    key = SigningKey.objects.get()

    listing = admin_client.get(reverse("admin:portal_server_signingkey_changelist"))
    detail = admin_client.get(reverse("admin:portal_server_signingkey_change", args=[key.pk]))

    assert key.kid in listing.content.decode()
    for page in (listing, detail):
        assert "PRIVATE KEY" not in page.content.decode()
    assert admin_client.get(reverse("admin:portal_server_signingkey_add")).status_code == 403
