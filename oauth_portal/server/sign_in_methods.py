"""How the user signed in, as the server tells apps: ID tokens' ``amr`` and ``acr`` claims.

Whatever signs a user in (Django's sign-in, the MFA app, a host site's own second factor)
records the methods it used in the session with ``session_methods_set``, as RFC 8176 names
them (``pwd``, ``otp``, ``hwk``, ``mfa``...). The server reads them when it issues an
authorization code and keeps them beside the code (``GrantSignIn``) and then beside the
redeemed code's refresh-token family (``RedeemedCode.sign_in_methods``), so every ID token of
that sign-in, refreshed ones included, tells the same story. A session that recorded nothing
was a password sign-in (Django's own): ``["pwd"]``.

``acr`` is one of two values this server defines (``ACR_VALUES_SUPPORTED``); an app that needs
a second factor asks with ``acr_values=`` the multi-factor one, and the authorization endpoint
sends the user through ``PORTAL_STEP_UP_URL`` first. The ID token's ``acr`` always states what
really happened, so an app checks it rather than trusting that it asked.
"""

import json
from collections.abc import Sequence

from django.shortcuts import resolve_url
from django.urls import NoReverseMatch

from oauth_portal.server import app_settings

SESSION_METHODS_KEY = "portal_sign_in_methods"
PASSWORD_ONLY = ("pwd",)
ACR_PASSWORD = "urn:oauth-portal:acr:pwd"
ACR_MULTI_FACTOR = "urn:oauth-portal:acr:mfa"
ACR_VALUES_SUPPORTED = [ACR_PASSWORD, ACR_MULTI_FACTOR]


def session_methods(request) -> list[str]:
    """The methods the session's sign-in used (``["pwd"]`` when nothing says otherwise)."""
    session = getattr(request, "session", None)
    methods = session.get(SESSION_METHODS_KEY) if session is not None else None
    return list(methods) if methods else list(PASSWORD_ONLY)


def session_methods_set(request, methods: Sequence[str]) -> None:
    """Record how the session's user signed in (RFC 8176 values, ``mfa`` for two factors)."""
    request.session[SESSION_METHODS_KEY] = list(dict.fromkeys(methods))


def is_multi_factor(methods: Sequence[str]) -> bool:
    return "mfa" in methods


def acr_for(methods: Sequence[str]) -> str:
    return ACR_MULTI_FACTOR if is_multi_factor(methods) else ACR_PASSWORD


def multi_factor_required(*, acr_values: str, application, claims: str = "") -> bool:
    """The app asks for a second factor: by its setting, by this request's ``acr_values``, or
    by an essential ``acr`` in the ``claims`` parameter (OIDC Core §5.5.1.1)."""
    return (
        bool(getattr(application, "require_mfa", False))
        or ACR_MULTI_FACTOR in acr_values.split()
        or ACR_MULTI_FACTOR in essential_acr_values(claims)
    )


def essential_acr_values(claims: str) -> list[str]:
    """The acr values ``{"id_token": {"acr": {"essential": true, "values": [...]}}}`` asks for
    (nothing if the parameter is absent or malformed: DOT refuses malformed ones itself)."""
    try:
        acr = json.loads(claims)["id_token"]["acr"] if claims else None
    except (ValueError, TypeError, KeyError, RecursionError):  # deep nesting: hostile input
        return []
    if not isinstance(acr, dict) or acr.get("essential") is not True:
        return []
    values = acr.get("values") or ([acr["value"]] if "value" in acr else [])
    return [value for value in values if isinstance(value, str)] if isinstance(values, list) else []


def step_up_url() -> str | None:
    """Where a user goes to add a second factor to this sign-in (None: nowhere, no MFA here)."""
    target = app_settings.PORTAL_STEP_UP_URL
    try:
        return resolve_url(target) if target else None
    except NoReverseMatch:
        return None
