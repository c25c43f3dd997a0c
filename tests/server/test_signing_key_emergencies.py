"""A leaked signing key leaves the JWKS at once (``revoke_signing_key``), and the next key can
be published ahead of its use (``rotate_signing_key --prepare-next``)."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import SigningKey
from tests.factories import UserFactory
from tests.server.admin_helpers import tokens_for
from tests.server.signing_key_helpers import kid_of, published_kids, verifies

pytestmark = pytest.mark.django_db


def colors(access_token: str):
    return Client().get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def test_the_next_key_is_published_before_it_signs(app):
    user = UserFactory(username="alice")
    first = kid_of(tokens_for(user, app)["id_token"])

    call_command("rotate_signing_key", "--prepare-next")

    upcoming = SigningKey.objects.get(is_current=False, retired_at__isnull=True).kid
    assert published_kids() == [first, upcoming] or published_kids() == [upcoming, first]
    assert kid_of(tokens_for(user, app)["id_token"]) == first  # not signing yet

    call_command("rotate_signing_key")

    assert SigningKey.objects.get(is_current=True).kid == upcoming
    assert kid_of(tokens_for(user, app)["id_token"]) == upcoming
    assert set(published_kids()) == {first, upcoming}


def test_preparing_twice_keeps_one_waiting_key(db):
    call_command("rotate_signing_key", "--prepare-next")
    call_command("rotate_signing_key", "--prepare-next")

    assert SigningKey.objects.filter(is_current=False, retired_at__isnull=True).count() == 1


def test_a_leaked_current_key_leaves_the_jwks_at_once_and_its_tokens_stop_working(
    jwt_tokens, app, capsys
):
    leaked = kid_of(jwt_tokens["access_token"])
    assert colors(jwt_tokens["access_token"]).status_code == 200

    call_command("revoke_signing_key", f"--kid={leaked}")

    assert leaked not in published_kids()
    assert not verifies(jwt_tokens["id_token"])
    refused = colors(jwt_tokens["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    successor = SigningKey.objects.get(is_current=True).kid
    assert successor != leaked
    assert f"{successor} signs from now on" in capsys.readouterr().out
    event = AuditEvent.objects.get(type=AuditEvent.Type.ADMIN_ACTION, details__kid=leaked)
    assert event.details["action"] == "signing_key_revoked"


def test_a_leaked_retired_key_leaves_the_jwks_before_its_tokens_expire(app):
    user = UserFactory(username="alice")
    old = kid_of(tokens_for(user, app)["id_token"])
    call_command("rotate_signing_key")
    assert old in published_kids()  # a rotation keeps it while its tokens live

    call_command("revoke_signing_key", f"--kid={old}")

    assert old not in published_kids()
    assert verifies(tokens_for(user, app)["id_token"])


def test_an_unknown_key_is_refused_and_names_the_known_ones(db):
    call_command("rotate_signing_key")
    known = SigningKey.objects.get(is_current=True).kid

    with pytest.raises(CommandError, match=known):
        call_command("revoke_signing_key", "no-such-kid")

    assert SigningKey.objects.get(is_current=True).kid == known


@pytest.mark.parametrize("arguments", [["--kid=-Ab0_x"], ["--", "-Ab0_x"]])
def test_a_kid_beginning_with_a_dash_reaches_the_key_lookup(db, arguments):
    """One thumbprint in 64 begins with "-", which argparse would take for an option: the
    emergency command must still be able to name it."""
    call_command("rotate_signing_key")

    with pytest.raises(CommandError, match="No signing key '-Ab0_x'"):
        call_command("revoke_signing_key", *arguments)


def test_no_kid_is_refused_with_how_to_name_one(db):
    with pytest.raises(CommandError, match="--kid=<kid>"):
        call_command("revoke_signing_key")
