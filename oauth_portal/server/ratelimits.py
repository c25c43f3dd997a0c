"""Rate limits on the token, introspection, revocation and authorization endpoints.

They must slow down guessing without letting anyone lock someone else out, so nothing is
counted against what a stranger can name: failed client authentications count against the
pair (client, address), with a much higher ceiling per address (an allow-list,
``PORTAL_RATELIMIT_ADDRESS_ALLOWLIST``, exempts known shared addresses from that ceiling); a
client's request volume is counted only once it has authenticated, at the rate set on the client
(none by default for public clients, whose traffic is their users'); an address's successful
requests never count. Over a limit: 429 with ``Retry-After`` and an audit event. Sign-in has
its own rules (``sign_in_protection``) on the same counters.

Counters are shared by all workers and hosts, and cheap (``ratecounters``): one read
before the request and, when a refusal is to be counted, one write after it, each one Redis
round trip or one SQL statement. A client's volume after a request it was served is not written
on its own: it waits for this process's next counter round trip (``count_later``), so a served
request costs one. The read before a client-endpoint request also brings the client registry's
generation, which says whether the client rows this process kept are current (``client_memo``).
``PORTAL_RATELIMIT_ENABLE = False`` turns counting off;
``PORTAL_RATELIMIT_CACHE`` names the cache whose backend (Redis or not) chooses the store.
"""

import threading
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from time import monotonic

from django.http import JsonResponse
from oauth2_provider.models import get_application_model

from oauth_portal.audit.client_address import address_allowlisted, client_address_bucket
from oauth_portal.audit.models import AuditEvent
from oauth_portal.observability import request_context
from oauth_portal.server import app_settings, client_memo, ratecounters, rates

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
    rate: rates.Rate
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
    return _limits(peek=peek, count=count, cache=cache)[0]


def first_exceeded_limit_and_generation(
    *, peek: Sequence[Check]
) -> tuple[Exceeded | None, int | None]:
    """``first_exceeded_limit(peek=peek)``, and the client registry's generation
    (``client_memo``) read in the same round trip: 0 where Redis has none (or the counters are
    not in Redis), None where nothing was read (rate limits off)."""
    exceeded, counts = _limits(peek=peek, also_read=[client_memo.GENERATION])
    return exceeded, counts.get(client_memo.GENERATION.name)


def _limits(
    *, peek=(), count=(), cache=None, also_read=()
) -> tuple[Exceeded | None, dict[str, int]]:
    if not app_settings.PORTAL_RATELIMIT_ENABLE:
        return None, {}
    now = time.time()
    peeked, counted = check_windows(peek, now), check_windows(count, now)
    counts = _count(
        [check.window for check in counted],
        [*(check.window for check in peeked), *also_read],
        now=now,
        cache=cache,
    )
    reached = [check for check in peeked if counts[check.window.name] >= check.rate.limit]
    reached += [check for check in counted if counts[check.window.name] > check.rate.limit]
    if not reached:
        return None, counts
    # Counters' windows end at different times: wait until every limit reached has reset.
    retry_after = max(check.window.seconds_left(now) for check in reached)
    return Exceeded(group=reached[0].group, retry_after=retry_after), counts


def failures_count(checks: Sequence[Check]) -> list[str]:
    """Count one failure on each check; the groups whose limit it has just reached, so that a
    lock is recorded once, when it starts, not on every refused try."""
    if not app_settings.PORTAL_RATELIMIT_ENABLE:
        return []
    now = time.time()
    windows = check_windows(checks, now)
    counts = _count([check.window for check in windows], [], now=now)
    return [check.group for check in windows if counts[check.window.name] == check.rate.limit]


_later: list[ratecounters.Window] = []
_later_lock = threading.Lock()


def count_later(checks: Sequence[Check]) -> None:
    """Count ``checks`` for this request, with this process's next counter round trip.

    For a client's volume after a request it was served, whose count nothing waits for: sent on
    its own it was a second Redis round trip per request. The next request this process limits
    (usually milliseconds later) adds it before reading its own counters, in the same script,
    so this process's next read sees it as before; another process's read may miss at most
    the last request of each idle process. Failures and refusals are never counted later:
    their limits stop guessing, and must hold across processes to the unit. Each counter keeps
    the window of the moment it was counted for.
    """
    if not app_settings.PORTAL_RATELIMIT_ENABLE:
        return
    windows = check_windows(checks, time.time())
    with _later_lock:
        _later.extend(check.window for check in windows)


def _count(increments, peeks, *, now: float, cache=None) -> dict[str, int]:
    """``ratecounters.count``, with what waits to be counted (``count_later``) added first when
    the counters are the limits' own (``cache`` not given)."""
    waiting = _counted_later_taken(now) if cache is None else []
    return ratecounters.count([*waiting, *increments], peeks, now=now, cache=cache)


def _counted_later_taken(now: float) -> list[ratecounters.Window]:
    """What waits to be counted, in windows that have not ended (a count for a window gone by
    would only restart a counter in the next)."""
    with _later_lock:
        taken = [window for window in _later if window.ends_at > now]
        _later.clear()
    return taken


def forget_counted_later() -> None:
    """Drop what waits to be counted (a test that swaps the counters' store)."""
    with _later_lock:
        _later.clear()


def check_windows(checks: Sequence[Check], now: float) -> list[CheckWindow]:
    windows = []
    for group, key, rate in checks:
        if key:
            parsed = rates.parse_rate(rate)
            window = ratecounters.counter_window(group, key, parsed.period, now)
            windows.append(CheckWindow(group=group, rate=parsed, window=window))
    return windows


def too_many_requests(request, exceeded: Exceeded, *, client_id: str = "") -> JsonResponse:
    """429 in the OAuth error format, with ``Retry-After``, recorded in the audit log."""
    AuditEvent.objects.record(
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


def client_failure_checks(client_id: str, address: str) -> list[Check]:
    """Failed client authentications: per (client, address), and a higher ceiling per address.

    Never per client alone: client ids are public, and a stranger's failures must not shut the
    real client out from its own address.
    """
    checks = [
        (
            "client-auth-failure",
            f"{client_id}\n{address}",
            app_settings.PORTAL_RATELIMIT_AUTH_FAILURES,
        )
    ]
    if not address_allowlisted(address):
        checks.append(
            ("client-auth-failure-ip", address, app_settings.PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP)
        )
    return checks


def address_error_checks(address: str) -> list[Check]:
    """Refused requests of any kind from one address: a ceiling on garbage, not on traffic."""
    if address_allowlisted(address):
        return []
    rate = app_settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_IP
    return [("client-endpoint-errors-ip", address, rate)]


def client_volume_checks(client_id: str) -> list[Check]:
    rate = client_request_rate(client_id) if client_id else None
    return [("client-requests", client_id, rate)] if rate else []


_client_rates: dict[str, tuple[str | None, float]] = {}
CLIENT_RATES_KEPT = 10_000


def client_request_rate(client_id: str) -> str | None:
    """The client's volume limit as a rate, or None for no limit; read at most every
    ``PORTAL_REGISTRY_CACHE_SECONDS`` per process, like the API registry.

    ``Application.token_requests_per_minute`` decides; empty means the server default for
    confidential clients and no limit for public ones (their traffic is their users').
    """
    now = monotonic()
    cached = _client_rates.get(client_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    row = (
        get_application_model()
        .objects.filter(client_id=client_id)
        .values_list("token_requests_per_minute", "client_type")
        .first()
    )
    rate = None
    if row is not None:
        per_minute, client_type = row
        if per_minute is None and client_type != "public":
            rate = app_settings.PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT
        elif per_minute:
            rate = f"{per_minute}/m"
    if len(_client_rates) >= CLIENT_RATES_KEPT:
        _client_rates.clear()
    _client_rates[client_id] = (rate, now + app_settings.PORTAL_REGISTRY_CACHE_SECONDS)
    return rate


def forget_client_rates() -> None:
    _client_rates.clear()


_authenticated_client: ContextVar[str | None] = ContextVar("authenticated_client", default=None)


def client_authenticated(client_id: str) -> None:
    """Called by the validator when a client proved its secret: its volume may now be counted."""
    _authenticated_client.set(client_id)


class ClientEndpointRateLimitMixin:
    """For the token, introspection and revocation views.

    Before the request: one read of the counters that could refuse it. After it: one write of
    those it should count: a failed client authentication (401) against (client, address) and
    the address; any refusal against the address's error ceiling; a request of an authenticated
    client (or a public client's successful one) against that client's volume limit, with the
    next read when nothing else is written (``count_later``).
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        client_id = client_id_of(request)
        request_context.bind(client_id=client_id)
        address = client_address_bucket(request.META) or "unknown"
        failures = client_failure_checks(client_id, address) if client_id else []
        errors = address_error_checks(address)
        volume = client_volume_checks(client_id)
        exceeded, generation = first_exceeded_limit_and_generation(
            peek=[*failures, *errors, *volume]
        )
        if exceeded:
            return too_many_requests(request, exceeded, client_id=client_id)
        reset = _authenticated_client.set(None)
        try:
            with client_memo.generation_seen(generation):
                response = super().dispatch(request, *args, **kwargs)
            authenticated = _authenticated_client.get() == client_id
        finally:
            _authenticated_client.reset(reset)
        status = response.status_code
        refused = status >= 400 and not getattr(response, "not_a_refusal", False)
        counted = [*(failures if status == 401 else []), *(errors if refused else [])]
        served = volume if authenticated or status < 400 else []
        if counted:
            first_exceeded_limit(count=[*counted, *served])
        elif served:
            count_later(served)
        return response


class AddressRateLimitMixin:
    """A per-address ceiling (``ratelimit_setting`` names the rate) on refused requests only:
    checked before each request, counted after one that was refused (4xx), so a busy shared
    address making good requests is never limited."""

    ratelimit_group = ""
    ratelimit_setting = ""
    ratelimit_methods = ("GET", "POST")

    def dispatch(self, request, *args, **kwargs):
        if request.method not in self.ratelimit_methods:
            return super().dispatch(request, *args, **kwargs)
        address = client_address_bucket(request.META) or "unknown"
        checks = (
            []
            if address_allowlisted(address)
            else [(self.ratelimit_group, address, getattr(app_settings, self.ratelimit_setting))]
        )
        exceeded = first_exceeded_limit(peek=checks)
        if exceeded:
            return too_many_requests(request, exceeded)
        response = super().dispatch(request, *args, **kwargs)
        if 400 <= response.status_code < 500 and checks:
            first_exceeded_limit(count=checks)
        return response


def client_id_of(request) -> str:
    """The client id a request names (HTTP Basic or body), for counting only: not verified."""
    from oauth_portal.server.client_secrets import parse_client_credentials

    client_id, _secret = parse_client_credentials(
        authorization=request.META.get("HTTP_AUTHORIZATION", ""),
        body_client_id=request.POST.get("client_id"),
        body_client_secret=None,
    )
    return (client_id or "")[:200]
