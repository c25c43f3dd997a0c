"""The device flow (RFC 8628): the device authorization endpoint a TV or command-line tool
calls, and the pages where its user types the code and decides on our consent page.

Polling happens at the token endpoint (``device_flow.device_grant_poll``)."""

import json
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from oauth_portal.audit.client_address import address_allowlisted, client_address_bucket
from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings, consents, device_flow, input_rules
from oauth_portal.server.oauth_server import PortalDeviceServer
from oauth_portal.server.ratelimits import (
    ClientEndpointRateLimitMixin,
    failures_count,
    first_exceeded_limit,
)
from oauth_portal.server.views.authorize import consent_page_context
from oauth_portal.server.views.common import CONSENT_TEMPLATE, repeated_parameters

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
ENTER_CODE_TEMPLATE = "oauth_portal/server/device_code.html"
DONE_TEMPLATE = "oauth_portal/server/device_done.html"


def oauth_error_response(error: errors.OAuth2Error) -> JsonResponse:
    """oauthlib's own error JSON and status (RFC 6749 §5.2), never cached."""
    response = JsonResponse(json.loads(error.json), status=error.status_code)
    response["Cache-Control"] = "no-store"
    return response


# Machine-to-machine endpoint: clients, not browsers, call it (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class DeviceAuthorizationView(ClientEndpointRateLimitMixin, dot_views.DeviceAuthorizationView):
    """RFC 8628 §3.1-3.2, on DOT's view and oauthlib's endpoint, with the checks they leave out:
    the client must be registered for the device grant, the scopes must be ones it may ask
    for, and the verification URIs follow the host the server is reached on. The grant is
    stored with the device code hashed (``device_flow.device_grant_create``)."""

    hostile_input_rule = input_rules.CLIENT_ENDPOINT
    server_class = PortalDeviceServer

    def post(self, request, *args, **kwargs):
        if request.content_type != FORM_CONTENT_TYPE:
            return oauth_error_response(
                errors.InvalidRequestError(
                    description=f"Send the parameters as {FORM_CONTENT_TYPE}."
                )
            )
        if repeated := repeated_parameters(request.POST):
            return oauth_error_response(
                errors.InvalidRequestError(description="Repeated parameter: " + ", ".join(repeated))
            )
        headers, body, status = self.create_device_authorization_response(request)
        if status != 200:
            response = JsonResponse(json.loads(body), status=status, headers=headers)
            response["Cache-Control"] = "no-store"
            return response
        if refusal := device_request_refusal(request):
            return oauth_error_response(refusal)
        verification_uri = request.build_absolute_uri(reverse("oauth2_provider:device"))
        body["verification_uri"] = verification_uri
        body["verification_uri_complete"] = (
            f"{verification_uri}?{urlencode({'user_code': body['user_code']})}"
        )
        device_flow.device_grant_create(
            client_id=request.POST["client_id"],
            scope=" ".join(request.POST.get("scope", "").split()),
            device_code=body["device_code"],
            user_code=body["user_code"],
            expires_in=body["expires_in"],
            interval=body.get("interval") or oauth2_settings.DEVICE_FLOW_INTERVAL,
        )
        response = JsonResponse(body)
        response["Cache-Control"] = "no-store"
        return response


def device_request_refusal(request) -> errors.OAuth2Error | None:
    """What oauthlib's device endpoint does not check: the client's grant and its scopes."""
    application = get_application_model().objects.get(client_id=request.POST["client_id"])
    if not application.allows_grant_type(application.GRANT_DEVICE_CODE):
        return errors.UnauthorizedClientError(
            description="This client is not registered for the device flow."
        )
    core_request = OAuthlibRequest(
        uri=request.build_absolute_uri(), http_method="POST", body=list(request.POST.items())
    )
    scopes = request.POST.get("scope", "").split()
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    try:
        allowed = validator.validate_scopes(
            application.client_id, scopes, application, core_request
        )
    except errors.OAuth2Error as error:
        return error
    if not allowed:
        return errors.InvalidScopeError(
            description="Ask for at least one scope this client may use."
        )
    return None


class UserCodeForm(forms.Form):
    user_code = forms.CharField(
        label="Code shown on your device",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX",
                "class": "user-code-input",
            }
        ),
        help_text="Eight letters; dashes and case don't matter.",
    )


def user_code_failure_checks(request) -> list:
    """Wrong codes count per address and per signed-in user (RFC 8628 §5.1); right ones never."""
    address = client_address_bucket(request.META) or "unknown"
    checks = [
        (
            "device-code-failures-user",
            str(request.user.pk),
            app_settings.PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_USER,
        )
    ]
    if not address_allowlisted(address):
        checks.append(
            (
                "device-code-failures-ip",
                address,
                app_settings.PORTAL_RATELIMIT_DEVICE_CODE_FAILURES_PER_IP,
            )
        )
    return checks


class DeviceVerificationView(LoginRequiredMixin, View):
    """The ``verification_uri``: the user, signed in, types the code from their device (or
    arrives with it filled in from ``verification_uri_complete``) and sees our consent page.

    A code is only looked up on POST (CSRF-protected): wrong codes count against the user, and
    a GET that counted them would let any web page spend a victim's tries with image tags."""

    hostile_input_rule = input_rules.OAUTH_PAGE

    def get(self, request, *args, **kwargs):
        form = UserCodeForm(initial={"user_code": request.GET.get("user_code", "")[:32]})
        return render(request, ENTER_CODE_TEMPLATE, {"form": form})

    def post(self, request, *args, **kwargs):
        return self.consent_or_retry(request, UserCodeForm(request.POST))

    def consent_or_retry(self, request, form):
        checks = user_code_failure_checks(request)
        if exceeded := first_exceeded_limit(peek=checks):
            return user_code_paused_page(request, form, exceeded)
        grant = (
            device_flow.device_grant_pending(typed_user_code=form.cleaned_data["user_code"])
            if form.is_valid()
            else None
        )
        application = device_flow.application_of(grant) if grant else None
        if application is None or not application.usable_by(request.user):
            failures_count(checks)
            form.add_error(
                "user_code",
                forms.ValidationError(
                    "That code is not valid: it may be mistyped, used or expired. Check the "
                    "code on your device, or start again there.",
                    code="invalid_user_code",
                ),
            )
            return render(request, ENTER_CODE_TEMPLATE, {"form": form}, status=400)
        return device_consent_page(request, grant, application)


def user_code_paused_page(request, form, exceeded):
    AuditEvent.objects.record(
        event=AuditEvent.Type.RATE_LIMITED,
        request=request,
        actor=request.user,
        limit=exceeded.group,
        path=request.path[:200],
    )
    context = {"form": form, "paused_seconds": exceeded.retry_after}
    response = render(request, ENTER_CODE_TEMPLATE, context, status=429)
    response["Retry-After"] = str(exceeded.retry_after)
    return response


class DeviceDecisionForm(forms.Form):
    user_code = forms.CharField(widget=forms.HiddenInput, max_length=32)


def device_consent_page(request, grant, application):
    """Our consent page (the code flow's template and wording), posting to the decision view.

    The device always asks, even when stored consent covers its scopes: the user must confirm
    that the device in front of them is the one asking (RFC 8628 §5.4)."""
    need = consents.consent_need(
        user=request.user, application=application, requested=grant.scope.split()
    )
    context = {
        "application": application,
        "form": DeviceDecisionForm(initial={"user_code": grant.user_code}),
        "consent_action": reverse("oauth2_provider:device-decide"),
        "device_user_code": grant.user_code,
        **consent_page_context(need),
    }
    return render(request, CONSENT_TEMPLATE, context)


class DeviceDecisionView(LoginRequiredMixin, View):
    """The consent form's answer: allow (with the scopes left ticked) or deny the device."""

    hostile_input_rule = input_rules.OAUTH_PAGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = DeviceDecisionForm(request.POST)
        checks = user_code_failure_checks(request)
        if exceeded := first_exceeded_limit(peek=checks):
            return user_code_paused_page(request, UserCodeForm(), exceeded)
        grant = (
            device_flow.device_grant_pending(typed_user_code=form.cleaned_data["user_code"])
            if form.is_valid()
            else None
        )
        application = device_flow.application_of(grant) if grant else None
        if application is None or not application.usable_by(request.user):
            failures_count(checks)  # a forged form guesses codes too
            return render(request, DONE_TEMPLATE, {"outcome": "gone"}, status=400)
        need = consents.consent_need(
            user=request.user, application=application, requested=grant.scope.split()
        )
        granted = consents.scopes_to_grant(need=need, ticked=request.POST.getlist("granted_scope"))
        if not request.POST.get("allow") or not granted:
            device_flow.device_grant_deny(grant=grant, user=request.user, request=request)
            return render(request, DONE_TEMPLATE, {"outcome": "denied", "application": application})
        if not device_flow.device_grant_approve(
            grant=grant, user=request.user, scopes=granted, request=request
        ):
            return render(request, DONE_TEMPLATE, {"outcome": "gone"}, status=400)
        consents.consent_grant(
            user=request.user, application=application, scopes=granted, resource=[], request=request
        )
        return render(request, DONE_TEMPLATE, {"outcome": "approved", "application": application})
