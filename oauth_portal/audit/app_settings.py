"""The audit app's settings, each with its default: a host site sets only what it changes.

Read at call time (``app_settings.NAME``), so ``override_settings`` works.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings


def settings_reader(defaults: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that reads each of ``defaults`` from Django's settings at call
    time, falling back to its default; any other name is an AttributeError. Every app's
    ``app_settings`` uses it (the audit app is the leaf, so all of them may import it)."""

    def __getattr__(name: str) -> Any:
        try:
            default = defaults[name]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(settings, name, default)

    return __getattr__


DEFAULTS = {
    # Proxies in front of the site that append to X-Forwarded-For (see client_address.py).
    "PORTAL_TRUSTED_PROXY_COUNT": 0,
    # Addresses or networks exempt from per-address failure ceilings (known offices).
    "PORTAL_RATELIMIT_ADDRESS_ALLOWLIST": [],
}


__getattr__ = settings_reader(DEFAULTS)
