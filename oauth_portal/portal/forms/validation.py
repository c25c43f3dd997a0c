"""The rules for what a developer types about an app: redirect URIs and origins.

Every message names the value at fault and says what to write instead. The rules follow
RFC 9700 and RFC 8252: absolute redirect URIs matched exactly, https except on loopback
addresses, private-use schemes (``com.example.app:/callback``) only for native apps, no
fragments, wildcards or user-info; an origin is ``scheme://host[:port]`` and nothing more.
"""

from django.core.exceptions import ValidationError

# The rules themselves live in the server: the registration endpoint (RFC 7591) applies them too.
from oauth_portal.server.redirect_uri_rules import (  # noqa: F401 - the portal forms' names
    MAX_URI_LENGTH,
    PRIVATE_USE_SCHEME,
    origin_problem,
    redirect_uri_problem,
)

MAX_URIS = 20


def distinct_lines(value: str) -> list[str]:
    """The non-empty lines of ``value``, stripped, without duplicates, in order."""
    return list(dict.fromkeys(line.strip() for line in value.splitlines() if line.strip()))


def capped_lines(value: str, *, label: str) -> list[str]:
    """``distinct_lines``, refusing unreasonable amounts."""
    found = distinct_lines(value)
    if len(found) > MAX_URIS:
        raise ValidationError(
            "At most %(max)d %(label)s, one a line.",
            code="too_many",
            params={"max": MAX_URIS, "label": label},
        )
    return found
