"""Prometheus metrics (prometheus-client), served at ``/metrics``.

Under gunicorn each worker is a process: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
before the workers start (``deploy/gunicorn.conf.py`` does) and the workers' values are summed
at every scrape (prometheus-client's multi-process mode). Without it (runserver, tests) the
process's own registry is served.

Labels have bounded values: grant types, RFC 6749 error codes, rate-limit names, audit event
types and URL names. The client id label is there because operators ask "which client?" first;
a site with tens of thousands of clients can drop it in its Prometheus relabelling.
"""

import json
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

TOKENS_ISSUED = Counter(
    "oauth_portal_tokens_issued",
    "Token responses by grant type and client (refreshes under grant_type refresh_token)",
    ["grant_type", "client_id"],
)
TOKEN_ERRORS = Counter(
    "oauth_portal_token_errors",
    "Error responses of the token endpoint by RFC 6749 error code",
    ["error"],
)
RATE_LIMITED = Counter(
    "oauth_portal_rate_limited",
    "Requests answered 429 by the limit they hit",
    ["limit"],
)
SIGN_IN_LOCKOUTS = Counter("oauth_portal_sign_in_lockouts", "Sign-in locks imposed")
REUSE_DETECTED = Counter(
    "oauth_portal_reuse_detected",
    "Replays of a spent authorization code or refresh token (the family is revoked)",
    ["credential"],
)
BEARER_CACHE = Counter(
    "oauth_portal_bearer_cache",
    "Bearer checks answered from the token cache (hit) or the database (miss)",
    ["result"],
)
AUDIT_EVENTS = Counter("oauth_portal_audit_events", "Audit events written, by type", ["type"])
REQUEST_LATENCY = Histogram(
    "oauth_portal_request_duration_seconds",
    "Time to answer a request, by endpoint (URL name) and method",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESPONSES = Counter(
    "oauth_portal_responses",
    "Responses by endpoint (URL name), method and status code",
    ["endpoint", "method", "status"],
)


def exposition() -> tuple[bytes, str]:
    """The text a scrape gets, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def token_error_count(response) -> None:
    """Count an error answer of the token endpoint under its RFC 6749 ``error`` code."""
    if response.status_code < 400:
        return
    error = "unknown"
    if response.get("Content-Type", "").startswith("application/json"):
        try:
            error = str(json.loads(response.content).get("error", "unknown"))[:40]
        except (ValueError, AttributeError):
            error = "unknown"
    TOKEN_ERRORS.labels(error=error if error.replace("_", "").isalpha() else "unknown").inc()


def bearer_cache_count(*, hit: bool) -> None:
    BEARER_CACHE.labels(result="hit" if hit else "miss").inc()
