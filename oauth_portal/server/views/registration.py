"""The client registration endpoint (RFC 7591) and the client configuration endpoint
(RFC 7592), as subclasses of DOT's views (DOT's URL names, csrf exemption and
``DCR_ENABLED`` switch), with our rules and services (``dynamic_registration.py``).

Answers are JSON with ``Cache-Control: no-store`` (they carry secrets). Refused metadata is a
400 with RFC 7591's ``invalid_client_metadata`` or ``invalid_redirect_uri``; a missing or bad
initial or registration access token is a 401 with an RFC 6750 challenge.
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.utils import parse_bearer_token
from oauth2_provider.views import (
    DynamicClientRegistrationManagementView,
    DynamicClientRegistrationView,
)

from oauth_portal.audit.client_address import address_allowlisted, client_address_bucket
from oauth_portal.server import app_settings, input_rules
from oauth_portal.server import dynamic_registration as services
from oauth_portal.server.client_metadata import MetadataRefused, metadata_of
from oauth_portal.server.ratelimits import (
    AddressRateLimitMixin,
    first_exceeded_limit,
    too_many_requests,
)

MAX_BODY_BYTES = 64 * 1024


def _json_answer(document: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(document, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def metadata_refused(refusal: MetadataRefused) -> JsonResponse:
    return _json_answer({"error": refusal.error, "error_description": refusal.description}, 400)


def token_refused(*, token_sent: bool, description: str) -> JsonResponse:
    """RFC 6750 §3: ``invalid_token`` when a token was sent, a bare challenge when none was."""
    error = "invalid_token" if token_sent else "access_denied"
    response = _json_answer({"error": error, "error_description": description}, 401)
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"' if token_sent else "Bearer"
    return response


def json_body(request):
    """The request's JSON object, or ``MetadataRefused`` (wrong type, too big, too deep)."""
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise MetadataRefused("Send the metadata as application/json.")
    try:
        body = request.body
    except RequestDataTooBig as exc:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: Django would 400 in HTML
        raise MetadataRefused("The metadata is too large.") from exc
    if len(body) > MAX_BODY_BYTES:
        raise MetadataRefused("The metadata is too large.")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MetadataRefused("The body is not valid JSON.") from exc


def client_information(request, application, *, registration_token: str, secret: str = ""):
    """RFC 7591 §3.2.1 / RFC 7592 §3: the metadata, plus where and how to manage it."""
    document = metadata_of(application)
    if secret:
        document["client_secret"] = secret  # the only time it is ever shown
    document["registration_access_token"] = registration_token
    document["registration_client_uri"] = request.build_absolute_uri(
        reverse(
            "oauth2_provider:dcr-register-management",
            kwargs={"client_id": application.client_id},
        )
    )
    return document


# As DOT's views are: clients call these with no cookies, only an Authorization header, so
# CSRF cannot apply; overriding dispatch drops DOT's markers, hence these.
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class RegistrationView(DynamicClientRegistrationView):
    """POST /o/register/: a client registers itself (RFC 7591).

    Every POST counts against its address (``PORTAL_RATELIMIT_REGISTRATION_PER_IP``), the
    successful ones too: each creates a client, and the limit is what keeps a script from
    filling the database.
    """

    hostile_input_rule = input_rules.OAUTH_JSON
    http_method_names = ["post", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST":
            address = client_address_bucket(request.META) or "unknown"
            if not address_allowlisted(address):
                rate = app_settings.PORTAL_RATELIMIT_REGISTRATION_PER_IP
                exceeded = first_exceeded_limit(count=[("registration-ip", address, rate)])
                if exceeded:
                    return too_many_requests(request, exceeded)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        initial_token = parse_bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
        try:
            services.registration_check_allowed(initial_access_token=initial_token)
            application, secret, registration_token = services.dynamic_client_register(
                metadata=json_body(request), initial_access_token=initial_token, request=request
            )
        except services.RegistrationForbidden as refusal:
            return token_refused(
                token_sent=refusal.token_sent,
                description="Registration here needs a valid initial access token "
                "(Authorization: Bearer ...), issued by an administrator.",
            )
        except MetadataRefused as refusal:
            return metadata_refused(refusal)
        document = client_information(
            request, application, registration_token=registration_token, secret=secret
        )
        return _json_answer(document, status=201)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class RegistrationManagementView(AddressRateLimitMixin, DynamicClientRegistrationManagementView):
    """GET, PUT, DELETE /o/register/<client_id>/ with the registration access token (RFC 7592).

    A token that does not match the client in the URL is refused exactly like an unknown one,
    so the endpoint does not reveal which client ids exist; refusals count against the address.
    """

    hostile_input_rule = input_rules.OAUTH_JSON
    http_method_names = ["get", "put", "delete", "options"]
    ratelimit_group = "registration-management-ip"
    ratelimit_setting = "PORTAL_RATELIMIT_AUTH_FAILURES_PER_IP"
    ratelimit_methods = ("GET", "PUT", "DELETE")

    def dispatch(self, request, *args, client_id: str = "", **kwargs):
        # Looked up after the rate limit (the mixin's dispatch), before the method handler.
        self.client_id = client_id
        return super().dispatch(request, *args, client_id=client_id, **kwargs)

    @property
    def registration(self):
        if not hasattr(self, "_registration"):
            token = parse_bearer_token(self.request.META.get("HTTP_AUTHORIZATION", ""))
            self._registration = services.registration_for_token(
                client_id=self.client_id, token=token
            )
        return self._registration

    def _refusal(self, request):
        token_sent = parse_bearer_token(request.META.get("HTTP_AUTHORIZATION", "")) is not None
        return token_refused(
            token_sent=token_sent,
            description="Send this client's registration access token (Authorization: Bearer).",
        )

    def get(self, request, client_id: str, *args, **kwargs):
        if self.registration is None:
            return self._refusal(request)
        token = parse_bearer_token(request.META["HTTP_AUTHORIZATION"])
        application = self.registration.application
        return _json_answer(client_information(request, application, registration_token=token))

    def put(self, request, client_id: str, *args, **kwargs):
        if self.registration is None:
            return self._refusal(request)
        try:
            application, token = services.dynamic_client_update(
                registration=self.registration, metadata=json_body(request), request=request
            )
        except MetadataRefused as refusal:
            return metadata_refused(refusal)
        return _json_answer(client_information(request, application, registration_token=token))

    def delete(self, request, client_id: str, *args, **kwargs):
        if self.registration is None:
            return self._refusal(request)
        services.dynamic_client_delete(registration=self.registration, request=request)
        response = HttpResponse(status=204)
        response["Cache-Control"] = "no-store"
        return response
