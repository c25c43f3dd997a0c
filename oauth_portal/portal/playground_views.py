"""The portal playground's pages: pick an app and scopes, sign in and consent, exchange the code,
call the API, refresh and revoke (the HTTP side is ``oauth_portal.portal_playground``).

The run in progress (state, nonce, PKCE verifier, redirect URI) lives in the developer's own
session; a client secret is posted for the one request that needs it and never kept.
"""

import json
from datetime import UTC, datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from oauth_portal.portal import forms as portal_forms
from oauth_portal.portal import playground as playground
from oauth_portal.portal import playground_service_views as playground_service_views
from oauth_portal.portal import selectors
from oauth_portal.portal import service_apps as service_apps
from oauth_portal.server import api_access, clients
from oauth_portal.server.models import Application

MAX_ID = 2**63 - 1  # the largest primary key a database holds; a longer id names no app


def playground_apps(user):
    """The developer's apps that sign users in (a service runs in ``playground_service_views``)."""
    return clients.applications_for_owner(owner=user).filter(
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE
    )


def scope_names_for(application: Application) -> list[str]:
    """The scopes the app may ask for (its allow-list or its subscriptions), catalogue order."""
    everything = [scope.name for group in selectors.scope_catalogue() for scope in group["scopes"]]
    allowed = set(api_access.scopes_available_to(application))
    return [name for name in everything if name in allowed]


def playground_ready(request, application: Application) -> bool:
    return application.playground_enabled and (
        playground.callback_url(request) in application.redirect_uris.split()
    )


@method_decorator(never_cache, name="dispatch")
class PlaygroundView(LoginRequiredMixin, View):
    """Step 1: pick an app and scopes. Posting builds the authorization URL (PKCE, state)."""

    def get(self, request):
        return self.render_page(form=None)

    def post(self, request):
        application = self.chosen_app(request.POST.get("application"))
        form = self.start_form(application, data=request.POST)
        if application is None or not form.is_valid() or not playground_ready(request, application):
            return self.render_page(form=form, status=400)
        flow = playground.flow_start(
            request=request, application=application, scopes=form.cleaned_data["scopes"]
        )
        request.session[playground.SESSION_KEY] = flow
        return self.render_page(form=form, flow=flow)

    def chosen_app(self, value: str | None) -> Application | None:
        """The app the request names: one of the developer's (another's is a 404), the first
        one ready for the playground when none is named, None when the name is not an id.
        A service is a choice too: its page runs client credentials instead."""
        apps = playground_service_views.playground_choices(self.request.user)
        if not value:
            return apps.filter(playground_enabled=True).first() or apps.first()
        if not (value.isascii() and value.isdigit()):
            return None
        if int(value) > MAX_ID:
            raise Http404("No such app.")
        return get_object_or_404(apps, pk=int(value))

    def start_form(self, application, data=None):
        return portal_forms.PlaygroundStartForm(
            data,
            applications=playground_apps(self.request.user),
            scope_names=scope_names_for(application) if application else [],
            initial={
                "application": application,
                "scopes": scope_names_for(application) if application else [],
            },
        )

    def render_page(self, *, form, flow=None, status=200):
        named = self.request.GET.get("app") or self.request.POST.get("application")
        application = self.chosen_app(named) or self.chosen_app(None)
        if application is not None and service_apps.is_service(application):
            return playground_service_views.render_service_page(
                self.request, application=application, status=status
            )
        context = {
            "applications": playground_service_views.playground_choices(self.request.user),
            "application": application,
            "form": form or self.start_form(application),
            "ready": application is not None and playground_ready(self.request, application),
            "callback_url": playground.callback_url(self.request),
            "flow": flow,
        }
        return render(self.request, "portal/playground.html", context, status=status)


class PlaygroundFlowMixin(LoginRequiredMixin):
    """The playground run kept in the developer's session, and its app (if still theirs)."""

    def flow(self) -> dict | None:
        return self.request.session.get(playground.SESSION_KEY)

    def flow_application(self, flow) -> Application | None:
        if not flow:
            return None
        return playground_apps(self.request.user).filter(pk=flow["application_id"]).first()

    def problem(self, message: str, *, status=400):
        context = {"problem": message}
        return render(self.request, "portal/playground_callback.html", context, status=status)


class PlaygroundTokenActionMixin(PlaygroundFlowMixin):
    """Refresh and revoke: a POST naming a token of the current run (and the secret, if any)."""

    http_method_names = ["post"]
    action_needs = ""

    def token_request(self):
        """``(flow, application, form)``; ``form`` is None when the request cannot be served."""
        flow = self.flow()
        application = self.flow_application(flow)
        form = portal_forms.PlaygroundTokenForm(self.request.POST)
        if application is None or not form.is_valid() or secret_missing(application, form):
            return flow, application, None
        return flow, application, form

    def token_problem(self):
        return self.problem(f"{self.action_needs} this app's client secret and a playground run.")


@method_decorator(never_cache, name="dispatch")
class PlaygroundCallbackView(PlaygroundFlowMixin, View):
    """Step 2: the authorization server sends the browser back here with a code (or an error)."""

    def get(self, request):
        flow = self.flow()
        application = self.flow_application(flow)
        if application is None:
            return self.problem("No playground run is waiting for this answer. Start again.")
        if not constant_time_equals(request.GET.get("state", ""), flow["state"]):
            # A response to a request this browser did not start (CSRF): never use it.
            return self.problem("The state does not match the request you started. Start again.")
        if request.GET.get("iss", flow["issuer"]) != flow["issuer"]:
            # RFC 9207: an answer from another authorization server (mix-up attack).
            return self.problem("The iss parameter names another authorization server.")
        context = {
            "application": application,
            "flow": flow,
            "callback_query": sorted(request.GET.items()),
            "error": request.GET.get("error", "")[:100],
            "error_description": request.GET.get("error_description", "")[:500],
            "form": portal_forms.PlaygroundExchangeForm(
                initial={"code": request.GET.get("code", "")[:512]}
            ),
        }
        response = render(request, "portal/playground_callback.html", context)
        response["Referrer-Policy"] = "no-referrer"  # the code is in this page's URL
        return response


def constant_time_equals(given: str, expected: str) -> bool:
    return bool(expected) and constant_time_compare(given, expected)


def secret_missing(application: Application, form) -> bool:
    if application.is_public or form.cleaned_data["client_secret"]:
        return False
    form.add_error(
        "client_secret",
        ValidationError(
            "Paste this app's client secret: a confidential app authenticates at the token "
            "endpoint.",
            code="secret_required",
        ),
    )
    return True


@method_decorator(
    [never_cache, sensitive_post_parameters("client_secret", "code")], name="dispatch"
)
class PlaygroundExchangeView(PlaygroundFlowMixin, View):
    """Step 3: redeem the code at the token endpoint, verify the ID token, call the API."""

    http_method_names = ["post"]

    def post(self, request):
        flow = self.flow()
        application = self.flow_application(flow)
        if application is None or not flow.get("code_verifier"):
            return self.problem(
                "This code was exchanged already, or no run is waiting. Start again."
            )
        form = portal_forms.PlaygroundExchangeForm(request.POST)
        if not form.is_valid() or secret_missing(application, form):
            context = {"application": application, "flow": flow, "form": form}
            return render(request, "portal/playground_callback.html", context, status=400)
        exchange = playground.code_exchange(
            request=request,
            application=application,
            flow=flow,
            code=form.cleaned_data["code"],
            client_secret=form.cleaned_data["client_secret"],
        )
        if exchange.ok:
            # The verifier has done its job; a replayed post finds nothing to redeem with.
            request.session[playground.SESSION_KEY] = {**flow, "code_verifier": ""}
        return render_tokens(request, application, flow, exchange, step="exchanged")


@method_decorator(
    [never_cache, sensitive_post_parameters("client_secret", "token", "access_token")],
    name="dispatch",
)
class PlaygroundRefreshView(PlaygroundTokenActionMixin, View):
    """Trade the refresh token for new tokens, then call the API with the new access token."""

    action_needs = "Refresh needs"

    def post(self, request):
        flow, application, form = self.token_request()
        if form is None:
            return self.token_problem()
        exchange = playground.token_refresh(
            request=request,
            application=application,
            refresh_token=form.cleaned_data["token"],
            client_secret=form.cleaned_data["client_secret"],
        )
        return render_tokens(request, application, flow, exchange, step="refreshed")


@method_decorator(
    [never_cache, sensitive_post_parameters("client_secret", "token", "access_token")],
    name="dispatch",
)
class PlaygroundRevokeView(PlaygroundTokenActionMixin, View):
    """Revoke the refresh token (and with it the access token), then show the API refusing it."""

    action_needs = "Revoking needs"

    def post(self, request):
        flow, application, form = self.token_request()
        if form is None:
            return self.token_problem()
        revoke = playground.token_revoke(
            request=request,
            application=application,
            token=form.cleaned_data["token"],
            client_secret=form.cleaned_data["client_secret"],
        )
        access_token = form.cleaned_data["access_token"]
        context = {
            "application": application,
            "flow": flow,
            "step": "revoked",
            "revoke": revoke,
            "api_call": playground.colors_list(request=request, access_token=access_token)
            if access_token
            else None,
        }
        return render(request, "portal/playground_result.html", context)


TIME_CLAIMS = ("iat", "exp", "auth_time", "nbf")


def claim_rows(claims: dict) -> list[tuple[str, str]]:
    """ID token claims as JSON values, with times also in words a person reads."""
    rows = []
    for name, value in claims.items():
        shown = value if isinstance(value, str) else json.dumps(value)
        if name in TIME_CLAIMS and isinstance(value, int):
            moment = datetime.fromtimestamp(value, tz=UTC)
            shown = f"{value} ({moment:%Y-%m-%d %H:%M:%S} UTC)"
        rows.append((name, shown))
    return rows


def render_tokens(request, application, flow, exchange, *, step: str):
    """The result page: the token request and response, the ID token, an API call."""
    tokens = exchange.json if exchange.ok and isinstance(exchange.json, dict) else {}
    id_token = None
    if tokens.get("id_token") and step == "exchanged":
        id_token = playground.id_token_verify(
            request=request,
            id_token=tokens["id_token"],
            client_id=application.client_id,
            nonce=flow["nonce"],
        )
    context = {
        "application": application,
        "flow": flow,
        "step": step,
        "exchange": exchange,
        "tokens": tokens,
        "id_token": id_token,
        "claims": claim_rows(id_token["claims"]) if id_token and id_token["claims"] else [],
        "api_call": playground.colors_list(request=request, access_token=tokens["access_token"])
        if tokens.get("access_token")
        else None,
        # Two forms on one page ask for the secret: distinct ids keep each label on its input.
        "refresh_form": portal_forms.PlaygroundTokenForm(auto_id="refresh_%s"),
        "revoke_form": portal_forms.PlaygroundTokenForm(auto_id="revoke_%s"),
    }
    return render(request, "portal/playground_result.html", context)
