"""Liveness and readiness, for load balancers and orchestrators.

- ``/health/live``: the process answers. No dependency is asked, so a database outage never
  makes an orchestrator restart every healthy process at once.
- ``/health/ready``: whether this process can serve the protocol now. django-health-check's
  database and cache checks, and ours: no migration pending, a signing key that the configured
  encryption keys open. 503 (and ``"status": "unavailable"``) when one fails. A Redis that does
  not answer is ``"degraded"`` with a 200: rate limits and bearer checks then use the database
  (see docs/protocol.md), so the host still serves every request and should stay in rotation.
- ``/healthz`` (our site's older check) stays as it was.

The checks run one after the other in the request's thread (the library's own view runs them
in threads, which would leave database connections open behind it under gunicorn).
"""

import dataclasses
import threading

from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views import View
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import HealthCheckException, ServiceUnavailable, ServiceWarning

from oauth_portal.server import app_settings

_migrations_applied = threading.Event()


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """A process whose code expects tables the database lacks must not take traffic. Once all
    are applied they stay applied for this process's code, so the answer is kept."""

    def run(self):
        if _migrations_applied.is_set():
            return
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migration(s) not applied")
        _migrations_applied.set()


@dataclasses.dataclass
class SigningKeyUsable(HealthCheck):
    """The current signing key exists (it is made on first use) and the configured encryption
    keys open it; otherwise no ID token or JWT access token could be signed."""

    def run(self):
        from oauth_portal.server.signing_keys import (
            SigningKeyDecryptionError,
            current_private_key_pem,
        )

        try:
            current_private_key_pem()
        except SigningKeyDecryptionError as exc:
            raise ServiceUnavailable(
                "the signing key cannot be decrypted with PORTAL_SIGNING_KEY_ENCRYPTION_KEYS"
            ) from exc


@dataclasses.dataclass
class SharedCache(Cache):
    """django-health-check's cache check, where a failure only degrades the service."""

    async def run(self):
        try:
            await super().run()
        except HealthCheckException as exc:
            message = f"{exc.message}: limits and bearer checks use the database"
            raise ServiceWarning(message) from exc


def readiness_checks() -> list[HealthCheck]:
    checks: list[HealthCheck] = [Database(), MigrationsApplied(), SigningKeyUsable()]
    cache_alias = app_settings.PORTAL_RATELIMIT_CACHE
    if isinstance(caches[cache_alias], RedisCache):
        checks.append(SharedCache(alias=cache_alias))
    return checks


async def _awaited(awaitable):
    return await awaitable


def check_run(check: HealthCheck) -> HealthCheckException | None:
    try:
        result = check.run()
        if hasattr(result, "__await__"):
            async_to_sync(_awaited)(result)
    except HealthCheckException as exc:
        return exc
    except Exception:  # noqa: BLE001 - a check that breaks is a failing check, not a 500
        return ServiceUnavailable("the check itself failed")
    return None


class LivenessView(View):
    def get(self, request):
        response = JsonResponse({"status": "alive"})
        response["Cache-Control"] = "no-store"
        return response


class ReadinessView(View):
    def get(self, request):
        results = {type(check).__name__: check_run(check) for check in readiness_checks()}
        failing = any(error and not isinstance(error, ServiceWarning) for error in results.values())
        degraded = any(isinstance(error, ServiceWarning) for error in results.values())
        body = {
            "status": "unavailable" if failing else "degraded" if degraded else "ok",
            "checks": {name: str(error) if error else "ok" for name, error in results.items()},
        }
        response = JsonResponse(body, status=503 if failing else 200)
        response["Cache-Control"] = "no-store"
        return response
