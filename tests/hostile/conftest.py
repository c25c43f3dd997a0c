import os

import pytest
from hypothesis import settings as hypothesis_settings

# Registers the "hostile" profiles.
from tests.hostile import strategies  # noqa: F401

hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))


@pytest.fixture(autouse=True)
def no_rate_limits_or_lockout(settings):
    """Hundreds of deliberate failures per test must be answered, not limited (429) or locked
    (axes); the limits and the lock have tests of their own."""
    settings.PORTAL_RATELIMIT_ENABLE = False
    settings.AXES_ENABLED = False
