"""Sign-in guessing limits that cannot be turned against the people they protect.

django-axes locks the pair (username, address) after a handful of failures. Two ceilings here
catch what the pair lock cannot, without letting a stranger lock anyone out:

- **per address**: ``PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT`` failures (any usernames) in the lock
  window lock the address: one guesser spraying many accounts. It is high (100 by default), so a
  busy shared address (an office NAT, a few typos among a hundred sign-ins a minute) never meets
  it; known offices can be exempted (``PORTAL_RATELIMIT_ADDRESS_ALLOWLIST``).
- **per account**: ``PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT`` failures (any addresses) in the window
  stop further tries at that username *from browsers it was never signed in from*: a botnet
  guessing one password. Its owner's known browsers carry a signed cookie naming the accounts
  signed in there (OWASP's "device cookies"), and keep working: the attacker can slow the account
  down, never lock its owner out.

Both are checked by an authentication backend before any password is (so they apply to every
sign-in form: ours, the admin's, a host site's), failures are counted from Django's
``user_login_failed`` signal, and a try refused by a lock is not counted, so it cannot extend it.
The counters are the rate-limit counters (``ratecounters``): Redis or the database.
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from oauth_portal.audit.client_address import address_allowlisted, client_address_bucket
from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings
from oauth_portal.server.ratelimits import Check, failures_count, first_exceeded_limit

KNOWN_DEVICE_COOKIE = "portal_known_device"
KNOWN_DEVICE_SALT = "oauth_portal.server.sign_in_protection.known-device"
KNOWN_DEVICE_ACCOUNTS = 10
KNOWN_DEVICE_MAX_AGE = 365 * 24 * 3600


class SignInProtectionBackend:
    """Refuses a sign-in while its address or (on an unknown browser) its account is locked.

    It never authenticates anyone: it returns None to let the next backend check the password,
    or raises PermissionDenied, which makes ``authenticate`` stop and fail. The refusal is shown
    by axes' middleware as the lock page (``oauth_portal.server.sign_in_lockout.lockout_response``).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None or getattr(request, "axes_locked_out", False):
            return None
        exceeded = first_exceeded_limit(peek=sign_in_checks(request, username))
        if exceeded is not None:
            request.axes_locked_out = True
            request.portal_sign_in_lock = exceeded
            raise PermissionDenied("Sign-in locked")
        # Past every lock: a failure from here on is a wrong password, and counts.
        request.portal_sign_in_checked = True
        return None

    # No get_user(): a backend that has one may be recorded as the one that signed a user in
    # (Django's test client's force_login takes the first such), and this one signs in nobody.


def sign_in_checks(request, username: str) -> list[Check]:
    window = settings.AXES_COOLOFF_TIME.total_seconds() // 60
    address = client_address_bucket(request.META) or "unknown"
    checks = []
    if not address_allowlisted(address):
        rate = f"{app_settings.PORTAL_SIGN_IN_ADDRESS_FAILURE_LIMIT}/{window:.0f}m"
        checks.append(("sign-in-failures-ip", address, rate))
    if not known_device(request, username):
        rate = f"{app_settings.PORTAL_SIGN_IN_ACCOUNT_FAILURE_LIMIT}/{window:.0f}m"
        checks.append(("sign-in-failures-account", username[:150], rate))
    return checks


@receiver(user_login_failed, dispatch_uid="oauth_portal.server.sign_in_protection")
def count_sign_in_failure(sender, credentials, request=None, **kwargs) -> None:
    """Count a wrong password against the address and the account; never a refused try."""
    if request is None or not getattr(request, "portal_sign_in_checked", False):
        return
    username = str(credentials.get("username") or "")
    if not username:
        return
    for group in failures_count(sign_in_checks(request, username)):
        AuditEvent.objects.record(
            event=AuditEvent.Type.SIGN_IN_LOCKED_OUT,
            request=request,
            attempted_username=username[:150],
            limit=group,
        )


@receiver(user_logged_in, dispatch_uid="oauth_portal.server.sign_in_protection")
def remember_known_device(sender, request, user, **kwargs) -> None:
    """Note the account on this browser; ``KnownDeviceMiddleware`` writes the cookie."""
    if request is not None:
        request.portal_known_device_account = user.get_username()


class KnownDeviceMiddleware:
    """Writes the known-device cookie after a successful sign-in (see the module docstring).

    The cookie holds keyed digests of the usernames signed in on this browser, signed; it says
    nothing readable and cannot be forged or moved to another account.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        username = getattr(request, "portal_known_device_account", None)
        if username:
            digests = [account_digest(username)]
            digests += [d for d in known_device_digests(request) if d != digests[0]]
            response.set_signed_cookie(
                KNOWN_DEVICE_COOKIE,
                ",".join(digests[:KNOWN_DEVICE_ACCOUNTS]),
                salt=KNOWN_DEVICE_SALT,
                max_age=KNOWN_DEVICE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def account_digest(username: str) -> str:
    key = hashlib.sha256(f"{settings.SECRET_KEY}:{KNOWN_DEVICE_SALT}".encode()).digest()
    return hmac.new(key, username.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]


def known_device_digests(request) -> list[str]:
    value = request.get_signed_cookie(
        KNOWN_DEVICE_COOKIE, default="", salt=KNOWN_DEVICE_SALT, max_age=KNOWN_DEVICE_MAX_AGE
    )
    return [digest for digest in value.split(",") if digest]


def known_device(request, username: str) -> bool:
    """Whether ``username`` was signed in on this browser before."""
    return account_digest(username) in known_device_digests(request)
