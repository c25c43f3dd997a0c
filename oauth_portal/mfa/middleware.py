"""Enforces the second step after any sign-in, and MFA for staff before the admin opens."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse

from oauth_portal.mfa import app_settings, sign_in
from oauth_portal.mfa.factors import user_has_factor
from oauth_portal.server import app_settings as server_settings
from oauth_portal.server import input_rules

# Pages a user waiting for the second step may still reach: the step itself (and the passkey
# endpoints it calls), signing out, and static files.
OPEN_URL_NAMES = (
    "portal_mfa:second-step",
    "portal_mfa:passkey-auth-begin",
    "portal_mfa:passkey-auth-complete",
    "portal_mfa:passkey-i18n",
    "oauth2_provider:rp-initiated-logout",
)
# The server's endpoints for clients (token, introspection, revocation, userinfo, discovery,
# JWKS) authenticate a client or a bearer token, never the session.
SESSIONLESS_RULES = (input_rules.OAUTH_JSON, input_rules.CLIENT_ENDPOINT, input_rules.INTROSPECTION)


class SecondStepMiddleware:
    """After ``AuthenticationMiddleware`` (and django-otp's ``OTPMiddleware``).

    A session waiting for its second step is sent to it from every page, ``next`` kept. With
    ``PORTAL_MFA_REQUIRED_FOR_STAFF``, a staff session that is not multi-factor is sent to the
    second step (or, with no factor yet, to set one up) before any admin page. Views that never
    read the session (the protocol endpoints for clients, bearer-only APIs) are left alone, so
    they cost no session read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not reads_session(view_func):
            return None
        if sign_in.second_step_pending(request) and not self.is_open(request.path):
            if request.user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(), resolve_url("portal_mfa:second-step")
                )
        elif self.admin_needs_mfa(request):
            target = (
                "portal_mfa:second-step"
                if user_has_factor(user=request.user)
                else "portal_mfa:overview"
            )
            return redirect_to_login(request.get_full_path(), resolve_url(target))
        return None

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


def reads_session(view_func) -> bool:
    """Whether the view may act for the session's user. Only views that say otherwise are
    skipped: the server's client endpoints, and DRF views without session authentication."""
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    if getattr(view_class, "hostile_input_rule", None) in SESSIONLESS_RULES:
        return False
    authenticators = getattr(view_class, "authentication_classes", None)
    if authenticators is None:
        return True
    from rest_framework.authentication import SessionAuthentication

    return any(issubclass(cls, SessionAuthentication) for cls in authenticators)
