"""Enforces the second step after any sign-in, and MFA for staff before the admin opens."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse

from oauth_portal.mfa import app_settings, sign_in
from oauth_portal.mfa.factors import user_has_factor
from oauth_portal.server import app_settings as server_settings

# Pages a user waiting for the second step may still reach: the step itself (and the passkey
# endpoints it calls), signing out, and static files.
OPEN_URL_NAMES = (
    "portal_mfa:second-step",
    "portal_mfa:passkey-auth-begin",
    "portal_mfa:passkey-auth-complete",
    "portal_mfa:passkey-i18n",
)


class SecondStepMiddleware:
    """After ``AuthenticationMiddleware`` (and django-otp's ``OTPMiddleware``).

    A session waiting for its second step is sent to it from every page, ``next`` kept. With
    ``PORTAL_MFA_REQUIRED_FOR_STAFF``, a staff session that is not multi-factor is sent to the
    second step (or, with no factor yet, to set one up) before any admin page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The session first: the user is loaded only when it matters (protocol clients, which
        # carry no session cookie, cost nothing here).
        if sign_in.second_step_pending(request) and not self.is_open(request.path):
            if request.user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(), resolve_url("portal_mfa:second-step")
                )
        elif self.admin_needs_mfa(request):
            user = request.user
            target = (
                "portal_mfa:second-step" if user_has_factor(user=user) else "portal_mfa:overview"
            )
            return redirect_to_login(request.get_full_path(), resolve_url(target))
        return self.get_response(request)

    @staticmethod
    def is_open(path: str) -> bool:
        if settings.STATIC_URL and path.startswith(resolve_url(settings.STATIC_URL)):
            return True
        open_paths = set()
        for name in (*OPEN_URL_NAMES, server_settings.PORTAL_LOGOUT_URL, "logout"):
            try:
                open_paths.add(reverse(name))
            except NoReverseMatch:
                continue
        return path in open_paths

    @staticmethod
    def admin_needs_mfa(request) -> bool:
        if not app_settings.PORTAL_MFA_REQUIRED_FOR_STAFF:
            return False
        try:
            admin_prefix = reverse("admin:index")
        except NoReverseMatch:
            return False
        if not request.path.startswith(admin_prefix):
            return False
        user = request.user
        return user.is_authenticated and user.is_staff and not sign_in.is_multi_factor(request)
