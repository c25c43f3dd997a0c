"""Liveness and readiness as a load balancer or an orchestrator reads them."""

import pytest
from cryptography.fernet import Fernet
from django.db.migrations.executor import MigrationExecutor

from oauth_portal.server import health
from oauth_portal.server.signing_keys import forget_memoised_keys

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_asking_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_a_ready_server_says_so_check_by_check(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"Database": "ok", "MigrationsApplied": "ok", "SigningKeyUsable": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_pending_migrations_take_the_process_out_of_rotation(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", health.threading.Event())
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    checks = response.json()["checks"]
    assert checks["MigrationsApplied"] == "Unavailable: 1 migration(s) not applied"


def test_a_signing_key_the_encryption_keys_cannot_open_is_unavailable(client, settings):
    settings.PORTAL_SIGNING_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert client.get("/health/ready").status_code == 200  # the key is made under this one

    settings.PORTAL_SIGNING_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SECRET_KEY_FALLBACKS = []
    forget_memoised_keys()
    response = client.get("/health/ready")

    assert response.status_code == 503
    assert "PORTAL_SIGNING_KEY_ENCRYPTION_KEYS" in response.json()["checks"]["SigningKeyUsable"]


def test_redis_down_is_degraded_and_stays_in_rotation(client, redis_down):
    response = client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["SharedCache"].startswith("Warning:")
    assert body["checks"]["Database"] == "ok"


def test_a_database_that_does_not_answer_is_unavailable(client, monkeypatch):
    def refuse(self):
        raise health.ServiceUnavailable("connection refused")

    monkeypatch.setattr(health.Database, "run", refuse)

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["Database"] == "Unavailable: connection refused"
