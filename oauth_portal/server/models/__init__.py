"""The authorization server's models, one module per subject."""

from oauth_portal.server.models.claims import CustomClaim
from oauth_portal.server.models.clients import (
    LOOPBACK_HOSTS,
    LOOPBACK_IP_HOSTS,
    Application,
    ClientSecret,
    is_acceptable_origin,
)
from oauth_portal.server.models.consents import Consent
from oauth_portal.server.models.keys import SigningKey
from oauth_portal.server.models.operations import ApiOperation
from oauth_portal.server.models.ratecounters import RateCounter
from oauth_portal.server.models.registration import DynamicRegistration, InitialAccessToken
from oauth_portal.server.models.registry import ApiResource, Scope
from oauth_portal.server.models.roles import Role, RoleAssignment
from oauth_portal.server.models.sessions import LogoutNotification, SessionClient, SignInSession
from oauth_portal.server.models.subscriptions import ApiUsage, SandboxTester, Subscription
from oauth_portal.server.models.tokens import GrantSignIn, JwtAccessToken, RedeemedCode

__all__ = [
    "ApiOperation",
    "LOOPBACK_HOSTS",
    "LOOPBACK_IP_HOSTS",
    "ApiResource",
    "ApiUsage",
    "Application",
    "ClientSecret",
    "Consent",
    "CustomClaim",
    "DynamicRegistration",
    "GrantSignIn",
    "InitialAccessToken",
    "JwtAccessToken",
    "LogoutNotification",
    "RateCounter",
    "RedeemedCode",
    "Role",
    "RoleAssignment",
    "SandboxTester",
    "Scope",
    "SessionClient",
    "SignInSession",
    "SigningKey",
    "Subscription",
    "is_acceptable_origin",
]
