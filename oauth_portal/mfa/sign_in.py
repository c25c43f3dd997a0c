"""The second step of any sign-in, kept in the session.

Django's ``user_logged_in`` fires after every sign-in (our page, the admin's, a host site's
own, a passkey): the session is marked as a password sign-in (``amr`` ``pwd``), and, when the
user has a confirmed factor, as waiting for the second step, which the middleware enforces
before anything else. A passkey used as the first factor says so on the request before it
signs the user in (``first_factor_methods``).
"""

import time

import django_otp
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from oauth_portal.mfa import app_settings
from oauth_portal.mfa.factors import user_has_factor
from oauth_portal.server import sign_in_methods

SECOND_STEP_PENDING = "portal_mfa_pending"
AUTHENTICATED_AT = "portal_mfa_authenticated_at"
FIRST_FACTOR_ATTRIBUTE = "portal_mfa_first_factor"


@receiver(user_logged_in, dispatch_uid="oauth_portal.mfa.sign_in")
def sign_in_started(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    first_factor = getattr(request, FIRST_FACTOR_ATTRIBUTE, None)
    session[AUTHENTICATED_AT] = time.time()
    if first_factor:
        sign_in_methods.session_methods_set(request, first_factor)
        session.pop(SECOND_STEP_PENDING, None)
        return
    sign_in_methods.session_methods_set(request, sign_in_methods.PASSWORD_ONLY)
    if user_has_factor(user=user):
        session[SECOND_STEP_PENDING] = True
    else:
        session.pop(SECOND_STEP_PENDING, None)


def second_step_pending(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SECOND_STEP_PENDING))


def second_step_dropped(request) -> None:
    request.session.pop(SECOND_STEP_PENDING, None)


def second_factor_confirmed(request, *, device, method: str) -> None:
    """The user proved ``device`` (``method``: ``otp`` or ``hwk``): the session is now
    multi-factor. The session key changes, as at sign-in: a fixated key is worth nothing."""
    methods = [*sign_in_methods.session_methods(request), method, "mfa"]
    django_otp.login(request, device)
    sign_in_methods.session_methods_set(request, methods)
    request.session.pop(SECOND_STEP_PENDING, None)
    request.session[AUTHENTICATED_AT] = time.time()
    request.session.cycle_key()


def is_multi_factor(request) -> bool:
    return sign_in_methods.is_multi_factor(sign_in_methods.session_methods(request))


def recently_authenticated(request) -> bool:
    """Signed in, or re-entered the password, within PORTAL_MFA_REAUTHENTICATE_SECONDS."""
    at = request.session.get(AUTHENTICATED_AT) or 0
    return time.time() - at <= app_settings.PORTAL_MFA_REAUTHENTICATE_SECONDS


def reauthenticated(request) -> None:
    request.session[AUTHENTICATED_AT] = time.time()
