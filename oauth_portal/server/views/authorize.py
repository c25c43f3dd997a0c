"""The authorization endpoint: the consent page with stored consent, and the checks DOT
leaves open (a tampered form, max_age, prompt=none)."""

import re
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import timezone
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import (
    FatalClientError,
)
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import consents, input_rules, sign_in_methods, sign_in_sessions
from oauth_portal.server.api_catalogue import scopes_for_consent
from oauth_portal.server.audiences import audience_as_resource
from oauth_portal.server.ratelimits import AddressRateLimitMixin
from oauth_portal.server.response_modes import FORM_POST, form_post_response, request_refusal
from oauth_portal.server.views.common import (
    CONSENT_TEMPLATE,
    authorize_error_page,
    invalid_consent_form,
    query_params,
    repeated_parameters,
    unavailable_app_page,
)


class AuthorizationView(AddressRateLimitMixin, dot_views.AuthorizationView):
    """The consent page, with stored consent (DOT stores none).

    DOT validates the request and then renders the page; between the two (``render_to_response``)
    the user's stored consent decides: nothing new asked means no page, more asked means a page
    showing only the new scopes, ``prompt=consent`` always shows it and ``prompt=none`` answers
    ``consent_required`` instead. ``max_age`` forces a fresh sign-in (OIDC Core 3.1.2.1).

    DOT follows the ``redirect_uri`` posted back by the form when the user denies, without
    checking it; we check the posted client and redirect URI against the registration before
    anything, so a tampered form is never followed, whether the user allows or denies.
    """

    hostile_input_rule = input_rules.OAUTH_PAGE

    template_name = CONSENT_TEMPLATE
    ratelimit_group = "authorize-ip"
    ratelimit_setting = "PORTAL_RATELIMIT_AUTHORIZE_PER_IP"

    def get(self, request, *args, **kwargs):
        # DOT's legacy ``approval_prompt=auto`` would let a client skip consent on its own say.
        if "approval_prompt" in request.GET:
            request.GET = request.GET.copy()
            del request.GET["approval_prompt"]
        if repeated_parameters(request.GET):
            return authorize_error_page(
                request,
                error="invalid_request",
                description="Repeated parameter: " + ", ".join(repeated_parameters(request.GET)),
            )
        if (refusal := request_refusal(request.GET)) is not None:
            return authorize_error_page(request, error=refusal[0], description=refusal[1])
        if (with_resource := audience_as_resource(request.GET)) is not None:
            # DOT reads request.GET; our validator and oauthlib read the query string.
            request.GET = with_resource
            request.META["QUERY_STRING"] = with_resource.urlencode()
        if sign_in_too_old(request):
            return redirect_to_login(request.get_full_path(), resolve_url(self.get_login_url()))
        application = (
            get_application_model()
            .objects.filter(client_id=request.GET.get("client_id", ""))
            .first()
        )
        if application is not None and not application.usable_by(request.user):
            return unavailable_app_page(request, application)
        if step_up := step_up_response(request, application):
            return step_up
        return super().get(request, *args, **kwargs)

    def create_authorization_response(self, request, scopes, credentials, allow):
        """Every code carries how the user signed in (``amr``/``acr`` in its ID token), and an
        app that requires a second factor never gets a code for a sign-in without one, whatever
        path led here (stored consent, a first-party app, a posted form): it gets
        ``access_denied``."""
        methods = sign_in_methods.session_methods(request)
        credentials["portal_sign_in_methods"] = methods
        requires_mfa = (
            get_application_model()
            .objects.filter(client_id=credentials.get("client_id"), require_mfa=True)
            .exists()
        )
        if requires_mfa and not sign_in_methods.is_multi_factor(methods):
            allow = False
        return super().create_authorization_response(request, scopes, credentials, allow)

    def render_to_response(self, context, **response_kwargs):
        if "error" in context or "application" not in context:
            return super().render_to_response(context, **response_kwargs)
        application = context["application"]
        need = consents.consent_need(
            user=self.request.user, application=application, requested=context["scopes"]
        )
        prompt = set(self.request.GET.get("prompt", "").split())
        if need.is_covered and "consent" not in prompt:
            return self.approve_from_stored_consent(application)
        if "none" in prompt:
            return self.redirect(self.error_redirect_url("consent_required"), application)
        context.update(consent_page_context(need))
        context["response_mode"] = self.request.GET.get("response_mode", "")
        return super().render_to_response(context, **response_kwargs)

    def approve_from_stored_consent(self, application):
        form = self.get_form_class()(data={**self.get_initial(), "allow": True})
        if not form.is_valid():
            return invalid_consent_form(self.request)
        consents.consent_touch(user=self.request.user, application=application)
        return super().form_valid(form)

    def redirect(self, redirect_to, application):
        """RFC 9207: every authorization response carries ``iss``, errors included.

        Every code leaves through here (consent page, stored consent, first-party apps): each
        is recorded against the browser's sign-in session (its ID token's ``sid``, for
        back-channel logout), which its refresh tokens follow unless they get
        ``offline_access`` (``oauth_portal.server.offline_access``).
        """
        if codes := query_params(redirect_to).get("code"):
            sign_in_sessions.session_client_record(
                request=self.request, application=application, code=codes[-1]
            )
        if "iss" not in query_params(redirect_to) and "error" in query_params(redirect_to):
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            separator = "&" if "?" in redirect_to else "?"
            redirect_to = f"{redirect_to}{separator}{urlencode({'iss': issuer})}"
        # The consent form carries the mode the request asked for (a hidden field).
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        if params.get("response_mode") == FORM_POST:
            name = getattr(application, "name", "")
            return form_post_response(self.request, redirect_to, application_name=name)
        return super().redirect(redirect_to, application)

    def error_response(self, error, application, **kwargs):
        """An error oauthlib raised without the request's redirect URI (a malformed ``claims``,
        say) would make DOT redirect to ``?error=...``; show it on our error page instead."""
        oauthlib_error = error.oauthlib_error
        if not oauthlib_error.redirect_uri and not isinstance(error, FatalClientError):
            return authorize_error_page(
                self.request,
                error=oauthlib_error.error,
                description=oauthlib_error.description or "The request is malformed.",
            )
        return super().error_response(error, application, **kwargs)

    def error_redirect_url(self, error: str) -> str:
        params = {
            "error": error,
            "iss": oauth2_settings.oauth2_authorization_server_issuer(self.request),
        }
        if self.oauth2_data.get("state"):
            params["state"] = self.oauth2_data["state"]
        redirect_uri = self.oauth2_data["redirect_uri"]
        return redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(params)

    def form_valid(self, form):
        application = (
            get_application_model().objects.filter(client_id=form.cleaned_data["client_id"]).first()
        )
        if (
            application is None
            or not application.redirect_uri_allowed(form.cleaned_data["redirect_uri"])
            or not consent_form_values_sane(form.cleaned_data)
        ):
            return invalid_consent_form(self.request)
        if not application.usable_by(self.request.user):
            return unavailable_app_page(self.request, application)
        if not form.cleaned_data.get("allow"):
            return self.deny(form, application)
        requested = form.cleaned_data["scope"].split()
        need = consents.consent_need(
            user=self.request.user, application=application, requested=requested
        )
        granted = consents.scopes_to_grant(
            need=need, ticked=self.request.POST.getlist("granted_scope")
        )
        if not granted:
            return self.deny(form, application)
        form.cleaned_data["scope"] = " ".join(granted)
        response = super().form_valid(form)
        if "code" in query_params(response.get("Location", "")):
            consents.consent_grant(
                user=self.request.user,
                application=application,
                scopes=granted,
                resource=(form.cleaned_data.get("resource") or "").split(),
                remember=remember_choice(self.request.POST),
                request=self.request,
            )
        return response

    def deny(self, form, application):
        form.cleaned_data["allow"] = False
        AuditEvent.objects.record(
            event=AuditEvent.Type.CONSENT_DENIED,
            request=self.request,
            actor=self.request.user,
            user=self.request.user,
            application=application,
            scope=form.cleaned_data.get("scope", ""),
        )
        return super().form_valid(form)

    def form_invalid(self, form):
        return invalid_consent_form(self.request)


PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.2 (S256 output is 43)


def consent_form_values_sane(data: dict) -> bool:
    """Hidden values that DOT stores on the code must fit what a real request can carry."""
    return bool(PKCE_CHALLENGE.match(data.get("code_challenge") or "")) and (
        len(data.get("nonce") or "") <= 255 and len(data.get("state") or "") <= 2000
    )


def sign_in_too_old(request) -> bool:
    """OIDC ``max_age``: the user signed in longer ago than the client accepts.

    Whole seconds are compared, so a sign-in that just happened satisfies even ``max_age=0``.
    A value that is not a non-negative integer is ignored.
    """
    raw = request.GET.get("max_age", "")
    if (
        not (raw.isascii() and raw.isdigit() and len(raw) <= 12)
        or not request.user.is_authenticated
    ):
        return False
    last_login = request.user.last_login
    return last_login is None or int((timezone.now() - last_login).total_seconds()) > int(raw)


def remember_choice(post) -> bool:
    """Whether the user ticked "Remember my choice" (Approve Always) or not (Approve Once).

    The page sends a hidden ``remember=0`` before the checkbox's ``remember=1`` (the last value
    wins, as in Rails' check_box), so an unticked box is told apart from a form that never
    offered the choice, which is remembered, as every approval was before the choice existed.
    """
    values = post.getlist("remember")
    return values[-1] != "0" if values else True


def step_up_response(request, application):
    """Send a signed-in user to add a second factor first when the app asks for one (its
    ``require_mfa`` setting, or ``acr_values`` naming the multi-factor acr), keeping the
    authorization request as ``next``. ``prompt=none`` gets no page: the request goes on, the
    ID token's ``acr`` says what the sign-in was, and an app that requires MFA gets
    ``access_denied`` (``create_authorization_response``)."""
    if application is None or not request.user.is_authenticated:
        return None
    required = sign_in_methods.multi_factor_required(
        acr_values=request.GET.get("acr_values", ""),
        claims=request.GET.get("claims", ""),
        application=application,
    )
    if not required or sign_in_methods.is_multi_factor(sign_in_methods.session_methods(request)):
        return None
    if "none" in request.GET.get("prompt", "").split():
        return None
    step_up_url = sign_in_methods.step_up_url()
    if step_up_url is None:
        if not application.require_mfa:
            return None
        return authorize_error_page(
            request,
            error="access_denied",
            description="This app requires two-step verification, which this site does not offer.",
            status=403,
        )
    return redirect_to_login(request.get_full_path(), step_up_url)


def consent_page_context(need) -> dict:
    """What the consent page lists: new scopes (optional ones with a checkbox) and old ones.

    With nothing new (``prompt=consent``), the page asks the user to confirm what the app
    already has, worded so, rather than "it now also asks to" over an empty list.
    """
    new_rows = scopes_for_consent(names=[*need.new_required, *need.new_optional])
    for row in new_rows:
        row["optional"] = row["name"] in need.new_optional
    return {
        "scope_rows": new_rows,
        "granted_before_rows": scopes_for_consent(names=need.granted_before),
        "reconfirm": not new_rows,
    }
