"""The rules a client's redirect URIs and browser origins must follow, whoever registers it: a
developer in the portal, or a client at the dynamic registration endpoint (RFC 7591).

Every message names the value at fault and says what to write instead. The rules follow
RFC 9700 and RFC 8252: absolute redirect URIs matched exactly, https except on loopback
addresses, private-use schemes (``com.example.app:/callback``) only for native apps, no
fragments, wildcards or user-info; an origin is ``scheme://host[:port]`` and nothing more.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from oauth_portal.server.models import LOOPBACK_HOSTS, Application

MAX_URI_LENGTH = 2000
# RFC 3986 §3.1 scheme; RFC 8252 §7.1 wants a reverse domain name, so it must contain a dot.
PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+$")


def _is_loopback_http(parts) -> bool:
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def redirect_uri_problem(uri: str, *, kind: str) -> ValidationError | None:
    """What is wrong with one redirect URI for an app of ``kind``, or None."""
    problem = _uri_shape_problem(uri)
    if problem:
        return problem
    parts = urlsplit(uri)
    if parts.scheme == "https" or _is_loopback_http(parts):
        return None
    if parts.scheme == "http":
        return ValidationError(
            "%(uri)s uses plain http: use https (http is only for 127.0.0.1, [::1] and "
            "localhost while you develop).",
            code="insecure_redirect_uri",
            params={"uri": uri},
        )
    if kind != Application.Kind.NATIVE:
        return ValidationError(
            "%(uri)s: only native apps may use a private-use scheme; a web page is reached "
            "with https.",
            code="private_scheme_not_native",
            params={"uri": uri},
        )
    if not PRIVATE_USE_SCHEME.match(parts.scheme):
        return ValidationError(
            "%(uri)s: a private-use scheme is a reversed domain name you own, like "
            "com.example.app:/callback (RFC 8252).",
            code="private_scheme_not_reverse_domain",
            params={"uri": uri},
        )
    return None


def _uri_shape_problem(uri: str) -> ValidationError | None:
    """Problems any redirect URI may have, whatever its scheme."""
    params = {"uri": uri}
    if len(uri) > MAX_URI_LENGTH or any(char.isspace() or ord(char) < 32 for char in uri):
        return ValidationError("%(uri)s is not a valid URI.", code="invalid_uri", params=params)
    if "*" in uri:
        return ValidationError(
            "%(uri)s contains a wildcard: register every URI in full; we match them exactly.",
            code="wildcard_redirect_uri",
            params=params,
        )
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return ValidationError("%(uri)s is not a valid URI.", code="invalid_uri", params=params)
    if not parts.scheme or (parts.scheme in ("http", "https") and not parts.hostname):
        return ValidationError(
            "%(uri)s is not an absolute URI: write it in full, like "
            "https://app.example.com/callback.",
            code="relative_redirect_uri",
            params=params,
        )
    if "#" in uri:
        return ValidationError(
            "%(uri)s has a fragment (#…): redirect URIs cannot have one; remove it.",
            code="fragment_redirect_uri",
            params=params,
        )
    if "@" in parts.netloc:
        return ValidationError(
            "%(uri)s contains a user name or password (user@host): remove it.",
            code="userinfo_redirect_uri",
            params=params,
        )
    return None


def origin_problem(origin: str) -> ValidationError | None:
    """What is wrong with one allowed origin, or None."""
    params = {"origin": origin}
    if "*" in origin:
        return ValidationError(
            "%(origin)s contains a wildcard: list every origin in full.",
            code="wildcard_origin",
            params=params,
        )
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return ValidationError(
            "%(origin)s is not an origin: write scheme://host[:port], like https://app.example.com.",
            code="invalid_origin",
            params=params,
        )
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        return ValidationError(
            "%(origin)s has more than scheme://host[:port]: an origin has no path (not even "
            "a final /), query or user name. Use %(bare)s.",
            code="origin_with_path",
            params={**params, "bare": f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"},
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return ValidationError(
            "%(origin)s uses plain http: use https (http only for loopback hosts).",
            code="insecure_origin",
            params=params,
        )
    return None
