"""Guard rails for production: check --deploy names what is missing, secrets can come from files
(Docker and Kubernetes secrets), e-mail is one URL. Each case in a fresh interpreter."""

import pytest

from tests.site.settings_helpers import STRONG_SECRET_KEY, production_env
from tests.site.test_settings import assert_refused, loaded_settings, manage


@pytest.mark.parametrize(
    ("unset", "warning"),
    [
        ("DJANGO_EMAIL_URL", "oauth_portal.W001"),
        ("PORTAL_ISSUER", "oauth_portal.W002"),
        ("PORTAL_SIGNING_KEY_ENCRYPTION_KEYS", "oauth_portal.W003"),
    ],
)
def test_deploy_check_names_what_production_is_missing(tmp_path, unset, warning):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(tmp_path, **{unset: None}),
    )

    assert result.returncode != 0
    assert warning in result.stderr
    others = {"oauth_portal.W001", "oauth_portal.W002", "oauth_portal.W003"} - {warning}
    assert not any(other in result.stderr for other in others)


def test_secrets_are_read_from_files_without_their_line_end(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(STRONG_SECRET_KEY + "\n")
    database_file = tmp_path / "database_url"
    database_file.write_text("postgres://portal:db-password@db.internal:5432/portal\n")
    env = production_env(
        tmp_path,
        DJANGO_SECRET_KEY=None,
        DJANGO_SECRET_KEY_FILE=str(secret_file),
        DATABASE_URL=None,
        DATABASE_URL_FILE=str(database_file),
        EXPECTED_SECRET_KEY=STRONG_SECRET_KEY,
    )

    loaded = loaded_settings(env)

    assert loaded["SECRET_KEY_MATCHES"] is True
    assert loaded["DATABASES"]["default"]["HOST"] == "db.internal"
    assert loaded["DATABASES"]["default"]["PASSWORD"] == "db-password"


def test_email_is_configured_by_one_url(tmp_path):
    loaded = loaded_settings(production_env(tmp_path))

    # Handed to SMTP from a thread pool, so a slow provider never holds a request.
    assert loaded["EMAIL_BACKEND"] == "oauth_portal.server.mail_delivery.BackgroundEmailBackend"
    assert loaded["PORTAL_MAIL_DELIVERY_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["EMAIL_HOST"] == "smtp.example.com"
    assert loaded["EMAIL_PORT"] == 587
    assert loaded["EMAIL_USE_TLS"] is True
    assert loaded["EMAIL_HOST_USER"] == "mailer"


def test_a_malformed_email_url_is_refused_without_echoing_it(tmp_path):
    env = production_env(tmp_path, DJANGO_EMAIL_URL="carrier-pigeon://mailer:hunter2@coop:1")

    result = manage("check", env=env)

    assert_refused(result, naming="DJANGO_EMAIL_URL")
    assert "hunter2" not in result.stderr
