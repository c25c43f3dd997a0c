"""Which address a request came from, for the audit log and for sign-in lockout alike."""

import ipaddress
from collections.abc import Mapping

from django.conf import settings


def client_ip_address(meta: Mapping) -> str | None:
    """``REMOTE_ADDR``, unless we sit behind our own proxy (``DJANGO_BEHIND_TLS_PROXY``).

    Then it is the right-most ``X-Forwarded-For`` hop: the one our proxy appended. Hops to its
    left come from the client and could be forged (to dodge the address lock, to lock out
    someone else's address, or to blame another address in the audit log).
    """
    remote_addr = meta.get("REMOTE_ADDR") or None
    if not settings.PORTAL_SIGN_IN_TRUST_X_FORWARDED_FOR:
        return remote_addr
    nearest_hop = str(meta.get("HTTP_X_FORWARDED_FOR", "")).rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(nearest_hop))
    except ValueError:
        # No header or garbage in it: the proxy is misconfigured; use the peer's address.
        return remote_addr
