"""The developer portal under /portal/: a developer's own apps, their keys, the playground and
the API catalogue (the playground's pages are in ``portal_playground_views``).

Every app is looked up through ``clients.applications_for_owner``: another developer's app
is a 404 for every page and action. Every change is a POST (CSRF-protected) that calls a
service, which writes the audit event. Pages that show a secret or a token are rendered, never
redirected to, and never cached.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.timesince import timesince, timeuntil
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from oauth2_provider.settings import oauth2_settings

from oauth_portal.audit import charts
from oauth_portal.portal import forms as portal_forms
from oauth_portal.portal import openapi as portal_openapi
from oauth_portal.portal import playground as playground
from oauth_portal.portal import selectors, services, subscription_selectors
from oauth_portal.portal import service_apps as service_apps
from oauth_portal.server import client_secret_lifecycle, clients
from oauth_portal.server.forms import SecretRotateForm
from oauth_portal.server.models import Application
from oauth_portal.server.offline_access import OFFLINE_ACCESS

CHART_HEIGHT = 64
CHART_BAR_WIDTH = 8
CHART_BAR_GAP = 3


def day_bar(day, count: int, bar: dict) -> dict:
    """One day of the tokens chart; an empty day is a stub on the baseline, so the days read as
    one row."""
    stub = {} if count else {"y": CHART_HEIGHT - 1, "height": 1}
    return {**bar, **stub, "day": day, "count": count, "empty": not count}


def token_chart(days: list[tuple]) -> dict:
    """Bar geometry for the tokens-per-day chart (an SVG the template draws)."""
    slot = CHART_BAR_WIDTH + CHART_BAR_GAP
    width, fraction = len(days) * slot, CHART_BAR_WIDTH / slot
    plot = charts.Plot(left=0, top=0, width=width, height=CHART_HEIGHT, bar_fraction=fraction)
    _top, bars = charts.daily_bars([[count] for _day, count in days], plot)
    return {
        "bars": [day_bar(day, count, bar) for (day, count), bar in zip(days, bars, strict=True)],
        "width": plot.width,
        "height": CHART_HEIGHT,
        "bar_width": CHART_BAR_WIDTH,
        "total": sum(count for _day, count in days),
        "peak": max((count for _day, count in days), default=0),
        "first_day": days[0][0] if days else None,
        "last_day": days[-1][0] if days else None,
    }


def ago(moment) -> str:
    """ "never", "just now" or "3 hours ago", for a secret's last use."""
    if moment is None:
        return "never"
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


def secret_rows(application: Application) -> list[dict]:
    """The current secret and the previous ones still working, with display-ready times."""
    rows = [
        {
            "label": "Current",
            "created_at": application.client_secret_created_at,
            "last_used": ago(application.client_secret_last_used_at),
            "expires": "when you rotate it",
            "previous_id": None,
        }
    ]
    for secret in clients.application_previous_secrets(application=application):
        rows.append(
            {
                "label": "Previous",
                "created_at": secret.created_at,
                "last_used": ago(secret.last_used_at),
                "expires": f"{secret.expires_at:%-d %b %Y, %H:%M} "
                f"(in {timeuntil(secret.expires_at)})",
                "previous_id": secret.pk,
            }
        )
    return rows


def discovery_url(request) -> str:
    return f"{oauth2_settings.oidc_issuer(request)}/.well-known/openid-configuration"


def scope_rows(form) -> list[dict]:
    """The scope catalogue, grouped by API, with each scope's boxes as the form has them."""
    allowed = set(form["allowed_scopes"].value() or [])
    required = set(form["required_scopes"].value() or [])
    return [
        {
            **group,
            "rows": [
                {
                    "scope": scope,
                    "allowed": scope.name in allowed,
                    "required": scope.name in required,
                    # The consent page never lets a user untick openid: no box to tick.
                    "always_required": scope.name == "openid",
                    # Every app may ask for offline_access; the user decides on consent.
                    "always_allowed": scope.name == OFFLINE_ACCESS,
                }
                for scope in group["scopes"]
            ],
        }
        for group in selectors.scope_catalogue()
        if group["scopes"]
    ]


class OwnedApplicationMixin(LoginRequiredMixin):
    """The app named in the URL, if the signed-in developer owns it; a 404 otherwise."""

    @cached_property
    def application(self) -> Application:
        owned = clients.applications_for_owner(owner=self.request.user)
        return get_object_or_404(owned, pk=self.kwargs["pk"])

    def detail_redirect(self):
        return redirect("portal:application-detail", pk=self.application.pk)


class PortalIndexView(LoginRequiredMixin, TemplateView):
    """The developer's apps, or the first step when there are none."""

    template_name = "portal/index.html"

    def get_context_data(self, **kwargs):
        applications = clients.applications_for_owner(owner=self.request.user)
        return super().get_context_data(**kwargs, applications=applications)


@method_decorator(never_cache, name="dispatch")
class ApplicationRegisterView(LoginRequiredMixin, FormView):
    """Register an app; the credentials page is rendered in the same response (shown once)."""

    template_name = "portal/application_register.html"
    form_class = portal_forms.ApplicationRegisterForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        return {**context, "scope_groups": scope_rows(form), "kind_help": portal_forms.KIND_HELP}

    def get_initial(self):
        return {"allowed_scopes": ["openid", "profile", "email"], "kind": Application.Kind.WEB}

    def get_form_kwargs(self):
        callback_url = playground.callback_url(self.request)
        return {**super().get_form_kwargs(), "playground_callback_url": callback_url}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            application, secret = services.portal_application_register(
                owner=self.request.user,
                request=self.request,
                playground_callback_url=form.playground_callback_url,
                **data,
            )
        except ValidationError as error:
            form.add_model_errors(error)
            return self.form_invalid(form)
        # Rendered, not redirected: the secret must not travel through a URL or the session.
        context = {"application": application, "client_secret": secret, "registered": True}
        return render(self.request, "portal/credentials.html", context)


@method_decorator(never_cache, name="dispatch")
class ApplicationDetailView(OwnedApplicationMixin, View):
    """An app's page: settings, credentials, playground switch, usage, events, danger zone."""

    def get(self, request, *args, **kwargs):
        return self.render_page()

    def render_page(self, *, settings_form=None, status=200):
        application = self.application
        callback_url = playground.callback_url(self.request)
        if settings_form is None:
            settings_form = portal_forms.ApplicationSettingsForm(
                application=application, playground_callback_url=callback_url
            )
        context = {
            "application": application,
            "settings_form": settings_form,
            "scope_groups": service_apps.scope_groups_for(application, scope_rows(settings_form)),
            "service": service_apps.service_panel(self.request, application),
            # A developer's routine rotation: an hour's overlap unless they choose otherwise.
            "rotate_form": SecretRotateForm(initial={"grace": "3600"}),
            "secret_rows": [] if application.is_public else secret_rows(application),
            "consent_count": clients.application_consent_count(application=application),
            "chart": token_chart(selectors.application_tokens_per_day(application=application)),
            "events": selectors.application_recent_events(application=application),
            "discovery_url": discovery_url(self.request),
            "playground_callback_url": callback_url,
            "playground_ready": application.playground_enabled
            and callback_url in application.redirect_uris.split(),
            **subscription_selectors.application_access(application=application),
        }
        return render(self.request, "portal/application_detail.html", context, status=status)


class ApplicationUpdateView(ApplicationDetailView):
    """Save the settings form; errors are shown on the app page next to their fields."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        application = self.application
        callback_url = playground.callback_url(request)
        form = portal_forms.ApplicationSettingsForm(
            request.POST, application=application, playground_callback_url=callback_url
        )
        if not form.is_valid():
            return self.render_page(settings_form=form, status=400)
        try:
            services.portal_application_settings_change(
                application=application,
                actor=request.user,
                data=form.cleaned_data,
                changed=form.changed_data,
                playground_callback_url=callback_url,
                request=request,
            )
        except ValidationError as error:
            form.add_model_errors(error)
            application.refresh_from_db()
            return self.render_page(settings_form=form, status=400)
        messages.success(request, "Settings saved." if form.has_changed() else "Nothing changed.")
        return self.detail_redirect()


@method_decorator(never_cache, name="dispatch")
class ClientSecretRotateView(OwnedApplicationMixin, View):
    """Make a new secret and show it once; the old one works for the grace period chosen."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        application = self.application
        form = SecretRotateForm(request.POST)
        if application.is_public or not form.is_valid():
            messages.error(request, "Choose how long the old secret keeps working.")
            return self.detail_redirect()
        grace = form.cleaned_data["grace"]
        secret = client_secret_lifecycle.client_secret_rotate(
            application=application, actor=request.user, grace=grace, request=request
        )
        # Rendered, not redirected: the secret must not travel through a URL or the session.
        context = {
            "application": application,
            "client_secret": secret,
            "rotated": True,
            "old_secret_expires_at": timezone.now() + grace if grace else None,
        }
        return render(request, "portal/credentials.html", context)


class ClientSecretPreviousDeleteView(OwnedApplicationMixin, View):
    """Stop accepting one previous secret now (it leaked)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        deleted = client_secret_lifecycle.client_secret_previous_delete(
            application=self.application,
            secret_id=self.kwargs["secret_id"],
            actor=request.user,
            request=request,
        )
        if deleted:
            messages.success(request, "The previous secret no longer works.")
        return self.detail_redirect()


class PlaygroundToggleView(OwnedApplicationMixin, View):
    """Turn the playground on or off for one app (adds or removes its redirect URI)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = portal_forms.PlaygroundToggleForm(request.POST)
        enabled = form.is_valid() and form.cleaned_data["enabled"]
        try:
            services.application_playground_set(
                application=self.application,
                actor=request.user,
                enabled=enabled,
                callback_url=playground.callback_url(request),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.detail_redirect()
        messages.success(request, f"Playground {'on' if enabled else 'off'} for this app.")
        if request.POST.get("return_to") == "playground":
            return redirect(f"{reverse('portal:playground')}?app={self.application.pk}")
        return self.detail_redirect()


class ApplicationDeleteView(OwnedApplicationMixin, View):
    """Confirm, then delete the app with every token, code and consent it holds."""

    def get(self, request, *args, **kwargs):
        context = {"application": self.application}
        return render(request, "portal/application_delete.html", context)

    def post(self, request, *args, **kwargs):
        name = self.application.name
        clients.application_delete(
            application=self.application, actor=request.user, request=request
        )
        messages.success(request, f"{name} was deleted; its tokens no longer work.")
        return redirect("portal:index")


def api_operations_of(group: dict, operations: list[dict]) -> list[dict]:
    """The operations an API serves: under its base path, or guarded by one of its scopes."""
    names = {scope.name for scope in group["scopes"]}
    base_path = getattr(group["api"], "base_path", "") if group["api"] else ""
    return [
        op
        for op in operations
        if names & set(op["scopes"]) or (base_path and op["path"].startswith(base_path))
    ]


class ApiCatalogueView(TemplateView):
    """Every API, its audience, scopes and endpoints, and where the interactive docs are."""

    template_name = "portal/apis.html"

    def get_context_data(self, **kwargs):
        groups = selectors.scope_catalogue()
        operations = portal_openapi.api_operations()
        for group in groups:
            group["operations"] = api_operations_of(group, operations)
        if self.request.user.is_authenticated:
            subscription_selectors.catalogue_subscribe_options(
                owner=self.request.user, api_groups=groups[1:]
            )
        issuer = oauth2_settings.oidc_issuer(self.request)
        return super().get_context_data(
            **kwargs,
            openid_group=groups[0],
            api_groups=groups[1:],
            issuer=issuer,
            discovery_url=discovery_url(self.request),
            swagger_redirect_url=self.request.build_absolute_uri(
                reverse("portal:api-docs-oauth2-redirect")
            ),
        )
