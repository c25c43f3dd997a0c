"""Our subclasses of DOT's protocol views, each adding one rule DOT leaves open.

They are wired in ``oauth_portal/oauth_urls.py`` under DOT's ``oauth2_provider`` namespace, so
DOT's URL names keep working.
"""

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import (
    FatalClientError,
    InvalidIDTokenError,
    InvalidOIDCClientError,
)
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest
from redis.exceptions import RedisError

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings, clients, consents
from oauth_portal.server.api_catalogue import scopes_for_consent
from oauth_portal.server.oauth_server import SUPPORTED_GRANT_TYPES
from oauth_portal.server.ratelimits import AddressRateLimitMixin, ClientEndpointRateLimitMixin

INVALID_CLIENT_BODY = {
    "error": "invalid_client",
    "error_description": "Client authentication failed: send the client id and secret "
    "(HTTP Basic, or client_id and client_secret in the body).",
}


def labelled_as_json(response):
    """oauthlib raises some errors before it sets its JSON headers, and DOT copies none: such a
    JSON body would go out as text/html (RFC 6749 §5.2 and RFC 6750 §3 want application/json)."""
    if response.get("Content-Type", "").startswith("text/html") and response.content[:1] == b"{":
        response["Content-Type"] = "application/json"
    return response


def authorize_error_page(request, *, error: str, description: str, status: int = 400):
    """The consent page's error card, for requests we refuse without redirecting anywhere."""
    context = {"error": {"error": error, "description": description}}
    return render(request, AuthorizationView.template_name, context, status=status)


def invalid_consent_form(request):
    """A consent form whose hidden fields were changed, or are missing: never follow it."""
    return authorize_error_page(
        request,
        error="invalid_request",
        description="This sign-in request was changed or is incomplete. "
        "Go back to the app and start again.",
    )


def unavailable_app_page(request, application):
    """A pending app (other users than its developer) or a suspended one: no sign-in."""
    if application.status == application.Status.PENDING:
        description = "This app is awaiting approval and cannot be used yet."
    else:
        description = "This app has been suspended and cannot be used."
    return authorize_error_page(
        request, error="unauthorized_client", description=description, status=403
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

    # Ours, not DOT's oauth2_provider/authorize.html: a name no installed app shadows.
    template_name = "oauth_portal/server/authorize.html"
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
        if sign_in_too_old(request):
            return redirect_to_login(request.get_full_path(), resolve_url(self.get_login_url()))
        application = (
            get_application_model()
            .objects.filter(client_id=request.GET.get("client_id", ""))
            .first()
        )
        if application is not None and not application.usable_by(request.user):
            return unavailable_app_page(request, application)
        return super().get(request, *args, **kwargs)

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
        return super().render_to_response(context, **response_kwargs)

    def approve_from_stored_consent(self, application):
        form = self.get_form_class()(data={**self.get_initial(), "allow": True})
        if not form.is_valid():
            return invalid_consent_form(self.request)
        consents.consent_touch(user=self.request.user, application=application)
        return super().form_valid(form)

    def redirect(self, redirect_to, application):
        """RFC 9207: every authorization response carries ``iss``, errors included."""
        if "iss" not in query_params(redirect_to) and "error" in query_params(redirect_to):
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            separator = "&" if "?" in redirect_to else "?"
            redirect_to = f"{redirect_to}{separator}{urlencode({'iss': issuer})}"
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


def repeated_parameters(params, *, allowed=("resource",)) -> list[str]:
    """RFC 6749 §3.1/§3.2: request parameters must not be included more than once."""
    return [key for key, values in params.lists() if len(values) > 1 and key not in allowed]


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


def consent_page_context(need) -> dict:
    """What the consent page lists: new scopes (optional ones with a checkbox) and old ones."""
    new_rows = scopes_for_consent(names=[*need.new_required, *need.new_optional])
    for row in new_rows:
        row["optional"] = row["name"] in need.new_optional
    return {
        "scope_rows": new_rows,
        "granted_before_rows": scopes_for_consent(names=need.granted_before),
    }


def query_params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# Machine-to-machine endpoints authenticate clients, not browsers: no CSRF (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class TokenView(ClientEndpointRateLimitMixin, dot_views.TokenView):
    """The token endpoint, in one database transaction per request.

    With our validator's row locks (and IMMEDIATE transactions on SQLite) this makes racing
    redemptions of one code or one refresh token queue, so exactly one of them wins.
    """

    def post(self, request, *args, **kwargs):
        if repeated := repeated_parameters(request.POST):
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Repeated parameter: " + ", ".join(repeated),
                },
                status=400,
            )
            response["Cache-Control"] = "no-store"
            return response
        # DOT routes the device grant around oauthlib (and fails on a missing device_code); we
        # do not offer that grant, so every request goes to oauthlib, which refuses it cleanly.
        with transaction.atomic():
            response = self.authorization_flow_token_response(request)
        response["Cache-Control"] = "no-store"
        return labelled_as_json(response)


def authenticated_client(request):
    """The client ``request`` authenticates as with its credentials, or None.

    Our validator checks the credentials as at the token endpoint and loads the client onto the
    oauthlib request; DOT's own ``authenticate_client`` answers only yes or no.
    """
    core_request = OAuthlibRequest(
        uri=request.path,
        http_method=request.method,
        body=list(request.POST.items()),
        headers={"HTTP_AUTHORIZATION": request.META.get("HTTP_AUTHORIZATION", "")},
    )
    if oauth2_settings.OAUTH2_VALIDATOR_CLASS().authenticate_client(core_request):
        return core_request.client
    return None


class ClientAuthenticationRequiredMixin:
    """RFC 7662 §2.1 and RFC 7009 §2.1: only an authenticated client may ask.

    DOT's introspection view also accepts a bearer token, and answers 403 when nobody
    authenticates; we require client credentials and answer 401 ``invalid_client``. The
    authenticated client is kept on ``request.portal_client``.
    """

    def authenticate_client(self, request) -> bool:
        """Once per request: DOT's view authenticates the client again after our check."""
        if not hasattr(request, "portal_client"):
            request.portal_client = authenticated_client(request)
        return request.portal_client is not None

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not self.authenticate_client(request):
            response = JsonResponse(INVALID_CLIENT_BODY, status=401)
            response["WWW-Authenticate"] = 'Basic realm="oauth"'
            response["Cache-Control"] = "no-store"
            return response
        return super().dispatch(request, *args, **kwargs)


def introspection_allowed(*, client, answer: dict) -> bool:
    """Whether ``client`` may learn about the live token DOT described in ``answer``: its own
    token, or a token for an API it serves. A token's recorded audience (RFC 8707) names its
    APIs; a token without one is for every API whose scopes it carries."""
    if answer.get("client_id") == client.client_id:
        return True
    served = clients.apis_served_by(application=client)
    audiences = answer.get("aud") or []
    if isinstance(audiences, str):
        audiences = [audiences]
    if audiences:
        return any(audience in served for audience in audiences)
    scopes = set(answer.get("scope", "").split())
    return any(scopes & api_scopes for api_scopes in served.values())


# Machine-to-machine endpoints authenticate clients, not browsers: no CSRF (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class IntrospectTokenView(
    ClientEndpointRateLimitMixin, ClientAuthenticationRequiredMixin, dot_views.IntrospectTokenView
):
    """RFC 7662 introspection, answered only about tokens the asking client may know of.

    Any client can register in the portal, so DOT's answer (who the user is, what was granted,
    to which client) goes only to the token's own client and to the resource servers of an API
    the token is for; anyone else gets ``{"active": false}``, exactly as for an unknown token,
    so not even the token's existence leaks (RFC 7662 §2.2). The user's name goes out only when
    the token was granted ``profile``.
    """

    http_method_names = ["post", "options"]

    def get_token_response(self, token_value=None):
        response = super().get_token_response(token_value)
        answer = json.loads(response.content) if response.status_code == 200 else {}
        if not answer.get("active"):
            return response
        if not introspection_allowed(client=self.request.portal_client, answer=answer):
            return JsonResponse({"active": False})
        if "profile" not in answer.get("scope", "").split():
            answer.pop("username", None)
        return JsonResponse(answer)

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


# Machine-to-machine endpoints authenticate clients, not browsers: no CSRF (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(ClientEndpointRateLimitMixin, dot_views.RevokeTokenView):
    """RFC 7009 revocation (DOT's), rate limited; answers are never cached."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


# Introspection is for resource servers, which authenticate; public clients ("none") cannot.
INTROSPECTION_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def public_json_document(document: dict) -> JsonResponse:
    """Discovery documents are public: any origin may read them."""
    response = JsonResponse(document)
    response["Access-Control-Allow-Origin"] = "*"
    return response


class ConnectDiscoveryInfoView(dot_views.ConnectDiscoveryInfoView):
    """OpenID discovery, listing only what this server really supports.

    DOT advertises HS256 beside RS256; we sign with RS256 only. The document also names the
    revocation and introspection endpoints, as the RFC 8414 metadata does.
    """

    def get(self, request, *args, **kwargs):
        document = json.loads(super().get(request, *args, **kwargs).content)
        document["id_token_signing_alg_values_supported"] = ["RS256"]
        document["grant_types_supported"] = list(SUPPORTED_GRANT_TYPES)
        document["code_challenge_methods_supported"] = ["S256"]
        document["revocation_endpoint"] = self._get_endpoint_url(
            request, "revoke-token", required=True
        )
        document["introspection_endpoint"] = self._get_endpoint_url(
            request, "introspect", required=True
        )
        document["revocation_endpoint_auth_methods_supported"] = document[
            "token_endpoint_auth_methods_supported"
        ]
        document["introspection_endpoint_auth_methods_supported"] = INTROSPECTION_AUTH_METHODS
        return public_json_document(document)


class OAuthServerMetadataView(dot_views.OAuthServerMetadataView):
    """RFC 8414 metadata for our one issuer (``<host>/o``); any other issuer path is a 404."""

    def get(self, request, *args, issuer_path: str = "o", **kwargs):
        if issuer_path.strip("/") != "o":
            raise Http404("No authorization server with that issuer here.")
        document = json.loads(super().get(request, *args, **kwargs).content)
        document["introspection_endpoint_auth_methods_supported"] = INTROSPECTION_AUTH_METHODS
        return public_json_document(document)


class RPInitiatedLogoutView(dot_views.RPInitiatedLogoutView):
    """OpenID Connect RP-initiated logout, on the audit log.

    DOT follows a ``post_logout_redirect_uri`` registered on the app a bare ``client_id`` names;
    anyone can copy a client id, so that made /o/logout/ a redirector to any app's address,
    suspended apps' included. We follow one only for an app proven by a verified
    ``id_token_hint`` (which DOT checks against the ``client_id`` when both are sent) and usable
    by the token's user (a suspended app never; a pending one only for its developer).
    Otherwise the user is signed out as usual and sees our signed-out page.
    """

    template_name = "oauth_portal/server/logout_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        self.proven_application = None
        return super().dispatch(request, *args, **kwargs)

    def validate_logout_request(self, id_token_hint, client_id, post_logout_redirect_uri):
        """DOT's checks, with malformed hints and unknown clients refused instead of a 500.

        Without a hint the return address is never followed, so DOT need not check it.
        """
        try:
            application, token_user = super().validate_logout_request(
                id_token_hint, client_id, post_logout_redirect_uri if id_token_hint else None
            )
        except ObjectDoesNotExist as exc:
            raise InvalidOIDCClientError() from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidIDTokenError() from exc
        if id_token_hint and application is not None and application.usable_by(token_user):
            self.proven_application = application
        return application, token_user

    def get_initial(self):
        initial = super().get_initial()
        if self.proven_application is None:
            initial["post_logout_redirect_uri"] = None
        return initial

    def get_context_data(self, **kwargs):
        # An app named by a bare client id is not shown: the page would vouch for it.
        if self.proven_application is None:
            kwargs.pop("application", None)
        return super().get_context_data(**kwargs)

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        application = self.proven_application
        if application is None:
            post_logout_redirect_uri = None
        user = self.request.user if self.request.user.is_authenticated else token_user
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        if user is not None:
            AuditEvent.objects.record(
                event=AuditEvent.Type.SIGNED_OUT,
                request=self.request,
                actor=user,
                user=user,
                application=application,
                initiated_by="relying_party",
            )
        if not post_logout_redirect_uri:
            return render(self.request, "oauth_portal/server/logged_out.html")
        return response


class UserInfoView(dot_views.UserInfoView):
    """OIDC userinfo; the access token only in the Authorization header (RFC 9700 §4.3.2)."""

    def dispatch(self, request, *args, **kwargs):
        if "access_token" in request.GET:
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Send the access token in the Authorization header.",
                },
                status=400,
            )
            response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
            return response
        return labelled_as_json(super().dispatch(request, *args, **kwargs))


class HealthView(View):
    """``/healthz``: 503 when the database does not answer; 200 otherwise, "degraded" when Redis
    is configured but does not answer (limits and bearer checks then use the database, so the
    host still serves every request and should stay in rotation)."""

    def get(self, request):
        if not database_reachable():
            return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        body = {"status": "ok", "database": "reachable"}
        redis_ok = redis_reachable()
        if redis_ok is not None:
            body["cache"] = "reachable" if redis_ok else "unreachable"
            body["status"] = "ok" if redis_ok else "degraded"
        return JsonResponse(body)


def database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True


def redis_reachable() -> bool | None:
    """Whether the shared Redis cache answers a PING; None when no Redis is configured."""
    cache = caches[app_settings.PORTAL_RATELIMIT_CACHE]
    if not isinstance(cache, RedisCache):
        return None
    try:
        return bool(cache._cache.get_client().ping())
    except RedisError:
        return False


class DemoCallbackView(View):
    """Where the demo clients are sent back: shows the code so a newcomer can paste it into curl.

    A real client receives this redirect itself; this page only makes the README walk-through
    work without writing a client first.
    """

    def get(self, request):
        context = {
            "code": request.GET.get("code", "")[:512],
            "state": request.GET.get("state", "")[:512],
            "error": request.GET.get("error", "")[:100],
            "error_description": request.GET.get("error_description", "")[:500],
            "token_url": request.build_absolute_uri("/o/token/"),
            "redirect_uri": request.build_absolute_uri(request.path),
        }
        response = render(request, "oauth_portal/server/demo_callback.html", context)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store"
        return response
