"""Rate limits on the token, introspection, revocation and authorization endpoints and sign-in.

They slow down guessing without getting in a well-behaved client's way: the limits on all
requests are generous (a client making a few hundred good token requests a minute is never
limited); the strict ones count only failed client authentications. Counters live in the
shared cache (Redis with ``REDIS_URL``, the database cache otherwise), so they hold across
workers and hosts. django-ratelimit's ``get_usage`` does the counting; we answer 429 with
``Retry-After`` and an audit event.

With the database cache, increments are not atomic: under heavy concurrency a few requests more
than the limit may pass. Use Redis where that matters.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse
from django_ratelimit.core import get_usage

from oauth_portal.client_address import client_ip_address
from oauth_portal.models import AuditEvent
from oauth_portal.services import audit_record


@dataclass(frozen=True)
class Exceeded:
    group: str
    retry_after: int


def _check(request, *, group: str, key: str, rate: str, increment: bool) -> Exceeded | None:
    usage = get_usage(
        request, group=group, key=lambda _group, _request: key, rate=rate, increment=increment
    )
    if usage is None:
        return None
    # Counting this request, the limit is passed when the count goes over it; only peeking
    # (failures are counted after they happen), it is reached when the count meets it.
    reached = usage["should_limit"] if increment else usage["count"] >= usage["limit"]
    if not reached:
        return None
    return Exceeded(group=group, retry_after=max(int(usage["time_left"]), 1))


def first_exceeded(request, checks: list[tuple[str, str, str]], *, increment: bool = True):
    """The first of ``(group, key, rate)`` whose limit is reached, counting this request."""
    for group, key, rate in checks:
        if key and (
            exceeded := _check(request, group=group, key=key, rate=rate, increment=increment)
        ):
            return exceeded
    return None


def too_many_requests(request, exceeded: Exceeded, *, client_id: str = "") -> JsonResponse:
    """429 in the OAuth error format, with ``Retry-After``, recorded in the audit log."""
    audit_record(
        event=AuditEvent.Type.RATE_LIMITED,
        request=request,
        limit=exceeded.group,
        client_id=client_id[:100],
        path=request.path[:200],
    )
    response = JsonResponse(
        {
            "error": "rate_limited",
            "error_description": f"Too many requests; try again in {exceeded.retry_after} seconds.",
        },
        status=429,
    )
    response["Retry-After"] = str(exceeded.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def client_endpoint_checks(request, client_id: str) -> list[tuple[str, str, str]]:
    ip = client_ip_address(request.META) or "unknown"
    return [
        ("client-endpoint-ip", ip, settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP),
        (
            "client-endpoint-client",
            client_id,
            settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT,
        ),
    ]


def client_auth_failure_checks(request, client_id: str) -> list[tuple[str, str, str]]:
    ip = client_ip_address(request.META) or "unknown"
    return [
        ("client-auth-failure-ip", ip, settings.PORTAL_RATELIMIT_AUTH_FAILURES),
        ("client-auth-failure-client", client_id, settings.PORTAL_RATELIMIT_AUTH_FAILURES),
    ]


class ClientEndpointRateLimitMixin:
    """For the token, introspection and revocation views.

    Every request counts against its address and its client; a failed client authentication
    (401) also counts against the much stricter failure limits, which are checked up front.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        client_id = client_id_of(request)
        exceeded = first_exceeded(
            request, client_auth_failure_checks(request, client_id), increment=False
        ) or first_exceeded(request, client_endpoint_checks(request, client_id))
        if exceeded:
            return too_many_requests(request, exceeded, client_id=client_id)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 401:
            first_exceeded(request, client_auth_failure_checks(request, client_id))
        return response


class AddressRateLimitMixin:
    """A generous per-address limit (``ratelimit_setting`` names the rate) on every request."""

    ratelimit_group = ""
    ratelimit_setting = ""
    ratelimit_methods = ("GET", "POST")

    def dispatch(self, request, *args, **kwargs):
        if request.method in self.ratelimit_methods:
            ip = client_ip_address(request.META) or "unknown"
            rate = getattr(settings, self.ratelimit_setting)
            exceeded = first_exceeded(request, [(self.ratelimit_group, ip, rate)])
            if exceeded:
                return too_many_requests(request, exceeded)
        return super().dispatch(request, *args, **kwargs)


def client_id_of(request) -> str:
    """The client id a request names (HTTP Basic or body), for counting only: not verified."""
    from oauth_portal.client_secrets import parse_client_credentials

    client_id, _secret = parse_client_credentials(
        authorization=request.META.get("HTTP_AUTHORIZATION", ""),
        body_client_id=request.POST.get("client_id"),
        body_client_secret=None,
    )
    return (client_id or "")[:200]
