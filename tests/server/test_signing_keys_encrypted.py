"""Signing keys are encrypted at rest under keys held outside the database: a stolen database
alone signs nothing. ID tokens keep verifying through a change of encryption key (re-encrypt
with the management command), and a key nobody can decrypt is a clear configuration error."""

import logging
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from oauth_portal.server import key_rotation, signing_keys
from oauth_portal.server.models import SigningKey
from tests.factories import UserFactory
from tests.server.admin_helpers import tokens_for
from tests.server.signing_key_helpers import kid_of, published_kids, verifies
from tests.site.settings_helpers import PROJECT_ROOT, production_env

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_rows() -> str:
    """Every stored value of every signing key row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM portal_server_signingkey")
        return repr(cursor.fetchall())


def use_keys(settings, *keys: str) -> None:
    settings.PORTAL_SIGNING_KEY_ENCRYPTION_KEYS = list(keys)
    signing_keys.forget_memoised_keys()


@pytest.fixture
def end_user(db):
    return UserFactory(username="alice")


def test_the_database_never_holds_a_private_key_in_the_clear(app, end_user):
    tokens_for(end_user, app)
    key_rotation.signing_key_rotate()
    tokens_for(end_user, app)

    stored = raw_rows()
    assert SigningKey.objects.count() == 2
    assert "BEGIN" not in stored
    assert "PRIVATE KEY" not in stored


def test_id_tokens_verify_against_the_published_jwks(app, end_user):
    id_token = tokens_for(end_user, app)["id_token"]

    assert verifies(id_token)
    assert kid_of(id_token) == SigningKey.objects.get(is_current=True).kid


def test_without_configured_keys_one_derived_from_the_secret_key_is_used(settings):
    settings.PORTAL_SIGNING_KEY_ENCRYPTION_KEYS = []
    token = signing_keys.private_key_encrypt("-----BEGIN PRIVATE KEY-----\nabc")

    assert "PRIVATE KEY" not in token
    assert signing_keys.private_key_decrypt(token, kid="k") == "-----BEGIN PRIVATE KEY-----\nabc"
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(ImproperlyConfigured):
        signing_keys.private_key_decrypt(token, kid="k")


def test_reencrypting_under_a_new_key_keeps_tokens_verifying(app, end_user, settings, capsys):
    use_keys(settings, OLD_KEY)
    before = tokens_for(end_user, app)["id_token"]
    key_rotation.signing_key_rotate()
    stored_before = raw_rows()

    # The rotation step: the new key goes first, the old one stays to decrypt, then the command.
    use_keys(settings, NEW_KEY, OLD_KEY)
    call_command("reencrypt_signing_keys")
    assert "Re-encrypted 2 signing keys" in capsys.readouterr().out
    # The old key can now go.
    use_keys(settings, NEW_KEY)

    assert raw_rows() != stored_before
    assert len(published_kids()) == 2
    assert verifies(before)
    after = tokens_for(end_user, app)["id_token"]
    assert verifies(after)
    assert kid_of(after) == SigningKey.objects.get(is_current=True).kid


def test_reencrypting_a_key_no_configured_key_opens_fails_and_changes_nothing(app, settings):
    use_keys(settings, OLD_KEY)
    key_rotation.signing_key_ensure_current()
    stored = raw_rows()
    use_keys(settings, NEW_KEY)

    with pytest.raises(CommandError, match="PORTAL_SIGNING_KEY_ENCRYPTION_KEYS"):
        call_command("reencrypt_signing_keys")

    assert raw_rows() == stored


def test_a_key_no_configured_key_decrypts_is_a_clear_error_not_a_traceback(app, settings, caplog):
    use_keys(settings, OLD_KEY)
    kid = key_rotation.signing_key_ensure_current().kid
    use_keys(settings, NEW_KEY)

    with pytest.raises(ImproperlyConfigured, match="PORTAL_SIGNING_KEY_ENCRYPTION_KEYS") as error:
        Client().get("/o/.well-known/jwks.json")
    assert kid in str(error.value)

    caplog.clear()
    signing_keys.forget_memoised_keys()
    response = Client(raise_request_exception=False).get("/o/.well-known/jwks.json")
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
    assert "PRIVATE KEY" not in response.content.decode()
    assert any(
        "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS" in record.getMessage()
        and record.levelno >= logging.ERROR
        for record in caplog.records
    )


def test_a_malformed_encryption_key_stops_the_server_from_starting(tmp_path):
    env = production_env(tmp_path, PORTAL_SIGNING_KEY_ENCRYPTION_KEYS="not-a-fernet-key")

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS" in result.stderr
    assert "not-a-fernet-key" not in result.stderr
