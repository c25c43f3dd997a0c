"""The rate grammar of the rate limits, ``"N/s|m|h|d"`` as django-ratelimit writes it.

Pure (no models, no settings): the site's settings check its environment's rates with it at
start-up, and the rate limits parse them with it per request.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
RATE_FORMAT = re.compile(r"(\d+)/(\d*)([smhd]?)", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int


@lru_cache(maxsize=64)
def parse_rate(rate: str) -> Rate:
    """``"N/s|m|h|d"`` (optionally ``"N/Mm"``: N per M minutes), as django-ratelimit writes it.

    A malformed rate is a configuration error, not a reason to count nothing.
    """
    match = RATE_FORMAT.fullmatch(rate.strip())
    if not match:
        raise ImproperlyConfigured(f'Rate limit "{rate}" is not of the form "120/m" (s, m, h, d).')
    limit, multiplier, unit = match.groups()
    period = int(multiplier or 1) * PERIOD_SECONDS[(unit or "s").lower()]
    if period <= 0:
        raise ImproperlyConfigured(f'Rate limit "{rate}" has an empty period.')
    return Rate(limit=int(limit), period=period)
