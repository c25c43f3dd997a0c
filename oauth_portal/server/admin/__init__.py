"""The authorization server in Django admin, one module per subject.

The client and token admins (``clients.py``, ``tokens.py``) are registered by DOT from
``OAUTH2_PROVIDER["*_ADMIN_CLASS"]``; the rest register themselves when imported here.
"""

from oauth_portal.server.admin import (  # noqa: F401
    claims,
    consents,
    keys,
    registration,
    registry,
    roles,
    sessions,
    subscriptions,
)
