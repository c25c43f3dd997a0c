"""Rate limits on the token, introspection, revocation and authorization endpoints and sign-in.

They slow down guessing without getting in a well-behaved client's way: the limits on all
requests are generous (a client making a few hundred good token requests a minute is never
limited); the strict ones count only failed client authentications. We answer 429 with
``Retry-After`` and an audit event.

Counters are shared by all workers and hosts, and cheap, because every request pays for them
(oauth_portal/ratecounters.py): with Redis (``REDIS_URL``) all counters a request reads or adds
to travel in one pipeline, one round trip; without it they live in the ``RateCounter`` table,
one upsert for the increments and one select for the reads. django-ratelimit's ``get_usage``
on the cache cost ten Redis round trips, or 26 SQL statements on the database cache, per token
request, a large share of the endpoint's time. Both stores now increment atomically, so
concurrent requests cannot slip past a limit together (the database cache could lose counts).
``PORTAL_RATELIMIT_ENABLE = False`` turns counting off; ``PORTAL_RATELIMIT_CACHE`` names the
cache whose backend (Redis or not) chooses the store.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse

from oauth_portal import ratecounters
from oauth_portal.client_address import client_ip_address
from oauth_portal.models import AuditEvent
from oauth_portal.services import audit_record

# (group, key, rate): the key (an address, a client id) is counted in its group at that rate;
# an empty key is not counted.
Check = tuple[str, str, str]


@dataclass(frozen=True)
class Exceeded:
    group: str
    retry_after: int


@dataclass(frozen=True)
class CheckWindow:
    """A check, with its rate parsed and its counter in the current window."""

    group: str
    rate: ratecounters.Rate
    window: ratecounters.Window


def first_exceeded_limit(
    *, peek: Sequence[Check] = (), count: Sequence[Check] = (), cache=None
) -> Exceeded | None:
    """The first limit reached, reading ``peek`` and counting this request in ``count``.

    Peeked counters (failures, counted after they happen) are reached when they meet their
    limit, and come first; counted ones when this request takes them over it. Every counter is
    counted, even after one is reached, so that the whole request costs one round trip.
    ``cache`` chooses the store, as ``ratecounters.count`` says.
    """
    if not settings.PORTAL_RATELIMIT_ENABLE:
        return None
    now = time.time()
    peeked, counted = check_windows(peek, now), check_windows(count, now)
    counts = ratecounters.count(
        [check.window for check in counted],
        [check.window for check in peeked],
        now=now,
        cache=cache,
    )
    reached = [check for check in peeked if counts[check.window.name] >= check.rate.limit]
    reached += [check for check in counted if counts[check.window.name] > check.rate.limit]
    if not reached:
        return None
    # Counters' windows end at different times: wait until every limit reached has reset.
    retry_after = max(check.window.seconds_left(now) for check in reached)
    return Exceeded(group=reached[0].group, retry_after=retry_after)


def check_windows(checks: Sequence[Check], now: float) -> list[CheckWindow]:
    windows = []
    for group, key, rate in checks:
        if key:
            parsed = ratecounters.parse_rate(rate)
            window = ratecounters.counter_window(group, key, parsed.period, now)
            windows.append(CheckWindow(group=group, rate=parsed, window=window))
    return windows


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


def client_endpoint_checks(request, client_id: str) -> list[Check]:
    ip = client_ip_address(request.META) or "unknown"
    return [
        ("client-endpoint-ip", ip, settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP),
        (
            "client-endpoint-client",
            client_id,
            settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT,
        ),
    ]


def client_auth_failure_checks(request, client_id: str) -> list[Check]:
    ip = client_ip_address(request.META) or "unknown"
    return [
        ("client-auth-failure-ip", ip, settings.PORTAL_RATELIMIT_AUTH_FAILURES),
        ("client-auth-failure-client", client_id, settings.PORTAL_RATELIMIT_AUTH_FAILURES),
    ]


class ClientEndpointRateLimitMixin:
    """For the token, introspection and revocation views.

    Every request counts against its address and its client; a failed client authentication
    (401) also counts against the much stricter failure limits, which are checked up front.
    Checking costs one round trip (two SQL statements on the database), counting a failure one
    more.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        client_id = client_id_of(request)
        exceeded = first_exceeded_limit(
            peek=client_auth_failure_checks(request, client_id),
            count=client_endpoint_checks(request, client_id),
        )
        if exceeded:
            return too_many_requests(request, exceeded, client_id=client_id)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == 401:
            first_exceeded_limit(count=client_auth_failure_checks(request, client_id))
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
            exceeded = first_exceeded_limit(count=[(self.ratelimit_group, ip, rate)])
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
