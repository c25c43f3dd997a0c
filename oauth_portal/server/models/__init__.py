"""The authorization server's models, one module per subject."""

from oauth_portal.server.models.clients import (
    LOOPBACK_HOSTS,
    LOOPBACK_IP_HOSTS,
    Application,
    ClientSecret,
    is_acceptable_origin,
)
from oauth_portal.server.models.consents import Consent
from oauth_portal.server.models.keys import SigningKey
from oauth_portal.server.models.ratecounters import RateCounter
from oauth_portal.server.models.registry import ApiResource, Scope
from oauth_portal.server.models.tokens import GrantSignIn, JwtAccessToken, RedeemedCode

__all__ = [
    "LOOPBACK_HOSTS",
    "LOOPBACK_IP_HOSTS",
    "ApiResource",
    "Application",
    "ClientSecret",
    "Consent",
    "GrantSignIn",
    "JwtAccessToken",
    "RateCounter",
    "RedeemedCode",
    "Scope",
    "SigningKey",
    "is_acceptable_origin",
]
