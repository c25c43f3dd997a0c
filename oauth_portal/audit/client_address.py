"""Which address a request came from: one rule for the audit log, sign-in lockout and rate limits.

Behind ``PORTAL_TRUSTED_PROXY_COUNT`` proxies (a CDN and a load balancer are two), each proxy
appends the address it received the request from to ``X-Forwarded-For``, so the client is the
entry that many hops from the right, as django-ipware resolves it. Entries further left come from
the client itself and could be forged (to dodge a lock, to lock out someone else's address, or to
blame another address in the audit log); they are ignored. With no trusted proxy the address is
``REMOTE_ADDR`` and the header is never read.

Counters key on ``client_address_bucket``: an IPv6 client usually holds a whole /64, so its
addresses count as one.
"""

import ipaddress
from collections.abc import Mapping
from types import SimpleNamespace

from ipware import get_client_ip

from oauth_portal.audit import app_settings

IPV6_BUCKET_PREFIX = 64


def client_ip_address(meta: Mapping) -> str | None:
    """The client's address as the nearest trusted proxy saw it, or ``REMOTE_ADDR``."""
    remote_addr = _valid_address(meta.get("REMOTE_ADDR"))
    proxies = app_settings.PORTAL_TRUSTED_PROXY_COUNT
    if not proxies:
        return remote_addr
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR", ""))
    # django-ipware counts the proxies listed in the header: all of ours but the nearest one,
    # whose address is REMOTE_ADDR. Non-strict, so forged entries on the left are skipped.
    address, _routable = get_client_ip(
        SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": forwarded}),
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    if address is None:
        # Fewer hops than proxies: the request entered past the outer proxies, and every entry
        # was written by one of ours; the left-most is the client. No usable header at all means
        # a misconfigured proxy: the peer is all we know.
        address = _valid_address(forwarded.split(",", 1)[0].strip()) or remote_addr
    return address


def client_address_bucket(meta: Mapping) -> str | None:
    """The address failures and requests are counted against: IPv6 by its /64 network."""
    address = client_ip_address(meta)
    if address is None or ":" not in address:
        return address
    network = ipaddress.ip_network(f"{address}/{IPV6_BUCKET_PREFIX}", strict=False)
    return str(network.network_address)


def address_allowlisted(address: str | None) -> bool:
    """Whether ``address`` is in ``PORTAL_RATELIMIT_ADDRESS_ALLOWLIST`` (known offices, NATs).

    Such addresses skip the per-address failure limits only; the limits per (account, address)
    and (client, address) still apply to everyone behind them.
    """
    if not address or not app_settings.PORTAL_RATELIMIT_ADDRESS_ALLOWLIST:
        return False
    ip = ipaddress.ip_address(address)
    return any(
        ip in network for network in _networks(app_settings.PORTAL_RATELIMIT_ADDRESS_ALLOWLIST)
    )


def _networks(cidrs) -> list:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


def _valid_address(value) -> str | None:
    """The address in its canonical form (an IPv4-mapped IPv6 address as IPv4), or None."""
    try:
        ip = ipaddress.ip_address(str(value or "").strip())
    except ValueError:
        return None
    return str(getattr(ip, "ipv4_mapped", None) or ip)
