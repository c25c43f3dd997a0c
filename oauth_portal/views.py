"""Our site's own pages: the health check and the demo callback."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views import View
from redis.exceptions import RedisError

from oauth_portal.server import app_settings


class HealthView(View):
    """``/healthz``: 503 when the database does not answer; 200 otherwise, "degraded" when Redis
    is configured but does not answer (limits and bearer checks then use the database, so the
    host still serves every request and should stay in rotation)."""

    def get(self, request):
        if not database_reachable():
            return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        body = {"status": "ok", "database": "reachable"}
        redis_ok = redis_reachable()
        if redis_ok is not None:
            body["cache"] = "reachable" if redis_ok else "unreachable"
            body["status"] = "ok" if redis_ok else "degraded"
        return JsonResponse(body)


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True


def redis_reachable() -> bool | None:
    """Whether the shared Redis cache answers a PING; None when no Redis is configured."""
    cache = caches[app_settings.PORTAL_RATELIMIT_CACHE]
    if not isinstance(cache, RedisCache):
        return None
    try:
        return bool(cache._cache.get_client().ping())
    except RedisError:
        return False


class DemoCallbackView(View):
    """Where the demo clients are sent back: shows the code so a newcomer can paste it into curl.

    A real client receives this redirect itself; this page only makes the README walk-through
    work without writing a client first.
    """

    def get(self, request):
        context = {
            "code": request.GET.get("code", "")[:512],
            "state": request.GET.get("state", "")[:512],
            "error": request.GET.get("error", "")[:100],
            "error_description": request.GET.get("error_description", "")[:500],
            "token_url": request.build_absolute_uri("/o/token/"),
            "redirect_uri": request.build_absolute_uri(request.path),
        }
        response = render(request, "oauth_portal/server/demo_callback.html", context)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        return response
