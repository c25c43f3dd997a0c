"""Refuse unparseable or NUL-laden input at the OAuth endpoints and sign-in, before the view.

oauthlib raises on an invalid percent-escape in the query string, PostgreSQL refuses a NUL
byte in a lookup or a stored value (text and jsonb cannot hold one), and Django refuses bodies it
cannot parse (bad charset, too many fields, too large): each of those was a 500 or Django's bare
HTML 400 at a JSON endpoint. Here they become a 400 in the endpoint's own format, and nothing
runs further. Which views are guarded, and how, each view says (``input_rules``).
"""

import functools

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import resolve_url
from django.urls import get_script_prefix, get_urlconf
from oauthlib.common import INVALID_HEX_PATTERN

from oauth_portal.server.client_secrets import parse_client_credentials
from oauth_portal.server.input_rules import SIGN_IN, InputRule
from oauth_portal.server.views import authorize_error_page

# Parameters looked up in the database as sent (PostgreSQL refuses a NUL there).
LOOKED_UP_RAW = frozenset({"code", "username", "email", "id_token_hint"})
NUL_PROBLEM = "The request contains a NUL character."


def _parameters(request) -> list[tuple[str, list[str]]] | None:
    """Query and body parameters, or None when the body cannot be read."""
    try:
        return [*request.GET.lists(), *request.POST.lists()]
    except (RequestDataTooBig, SuspiciousOperation, BadRequest, MultiPartParserError, ValueError):
        return None


def _problem(request) -> str | None:
    query = request.META.get("QUERY_STRING", "")
    if INVALID_HEX_PATTERN.search(query):
        return "The query string has an invalid percent-escape."
    if _parameters(request) is None:
        return "The request body could not be read."
    return None


def _carries_nul(request, rule: InputRule) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in _parameters(request)
        if rule.nul_anywhere or key in LOOKED_UP_RAW
    )


def rule_for(request, view_func) -> InputRule | None:
    """The view's own rule; the site's sign-in page (``LOGIN_URL``, a host's own view
    included) is always guarded as sign-in."""
    view_class = getattr(view_func, "view_class", None)
    rule = getattr(view_func, "hostile_input_rule", None) or getattr(
        view_class, "hostile_input_rule", None
    )
    if rule is None and request.path == sign_in_path():
        return SIGN_IN
    return rule


def sign_in_path() -> str:
    """``LOGIN_URL`` as a path. Every request asks, and ``reverse`` costs more than the rest of
    this middleware, so the answer is kept per URLconf and script prefix (what it depends on)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _sign_in_path(settings.LOGIN_URL, urlconf, get_script_prefix())


@functools.lru_cache(maxsize=32)
def _sign_in_path(login_url: str, urlconf, script_prefix: str) -> str:
    return resolve_url(login_url)


@receiver(setting_changed)
def _forget_sign_in_path(*, setting, **kwargs) -> None:
    # A test swapping URLconfs under the same module name; nothing changes these in production.
    if setting in ("ROOT_URLCONF", "LOGIN_URL"):
        _sign_in_path.cache_clear()


def _client_credentials_malformed(request) -> bool:
    """A NUL in the client id (body or HTTP Basic) can only be a failed client authentication."""
    body_client_id = request.POST.get("client_id") or ""
    basic_client_id, _secret = parse_client_credentials(
        authorization=request.META.get("HTTP_AUTHORIZATION", ""),
        body_client_id=None,
        body_client_secret=None,
    )
    return "\x00" in body_client_id + (basic_client_id or "")


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The user agent is stored as sent (audit log, sign-in attempts), and PostgreSQL text
        # cannot hold a NUL; gunicorn refuses such a header, other servers may pass it on.
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        if "\x00" in user_agent:
            request.META["HTTP_USER_AGENT"] = user_agent.replace("\x00", "")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Runs before CSRF's process_view, which would read an unreadable body first."""
        rule = rule_for(request, view_func)
        if rule is None:
            return None
        problem = _problem(request)
        if problem:
            return self.refusal(request, rule, problem)
        if rule.client_endpoint and _client_credentials_malformed(request):
            return self.client_refusal()
        if _carries_nul(request, rule) or "\x00" in (
            request.GET.get("client_id", "") + request.POST.get("client_id", "")
        ):
            return self.refusal(request, rule, NUL_PROBLEM)
        return None

    @staticmethod
    def client_refusal():
        response = JsonResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status=401,
        )
        response["WWW-Authenticate"] = 'Basic realm="oauth"'
        response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def refusal(request, rule: InputRule, description: str):
        if rule.html:
            return authorize_error_page(request, error="invalid_request", description=description)
        response = JsonResponse(
            {"error": "invalid_request", "error_description": description}, status=400
        )
        response["Cache-Control"] = "no-store"
        return response
