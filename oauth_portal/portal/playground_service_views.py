"""The playground for a service (client credentials, no user): pick API scopes, paste the client
secret, get a token, call the Colors API with it.

One POST does the whole run, so nothing is kept in the session; the secret is used for the one
token request and forgotten (``oauth_portal.portal.playground_service``).
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from oauth_portal.portal import forms as portal_forms
from oauth_portal.portal import playground_service, service_apps
from oauth_portal.server import clients
from oauth_portal.server.models import Application

MAX_ID = 2**63 - 1  # the largest primary key a database holds; a longer id names no app
PLAYGROUND_GRANTS = (Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_CLIENT_CREDENTIALS)


def playground_choices(user):
    """Every app of the developer the playground can run: sign-in apps and services."""
    return clients.applications_for_owner(owner=user).filter(
        authorization_grant_type__in=PLAYGROUND_GRANTS
    )


def owned_service(user, value: str | None) -> Application:
    """The developer's service the request names; anything else is a 404."""
    if not value or not (value.isascii() and value.isdigit()) or int(value) > MAX_ID:
        raise Http404("No such app.")
    services = clients.applications_for_owner(owner=user).filter(
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )
    return get_object_or_404(services, pk=int(value))


def service_form(application: Application, data=None, *, scopes=None):
    names = service_apps.api_scope_names(application)
    return portal_forms.PlaygroundClientCredentialsForm(
        data, scope_names=names, initial={"scopes": names if scopes is None else scopes}
    )


def render_service_page(request, *, application, form=None, exchange=None, calls=(), status=200):
    """The playground page of a service: the form, and the run's HTTP exchanges if any."""
    tokens = exchange.json if exchange is not None and exchange.ok else None
    context = {
        "applications": playground_choices(request.user),
        "application": application,
        "form": form or service_form(application),
        "exchange": exchange,
        "tokens": tokens if isinstance(tokens, dict) else {},
        "calls": dict(calls),
    }
    return render(request, "portal/playground_service.html", context, status=status)


@method_decorator([never_cache, sensitive_post_parameters("client_secret")], name="dispatch")
class PlaygroundClientCredentialsView(LoginRequiredMixin, View):
    """Run the client-credentials grant for one of the developer's services, then call the API."""

    http_method_names = ["post"]

    def post(self, request):
        application = owned_service(request.user, request.POST.get("application"))
        form = service_form(application, request.POST)
        if not form.is_valid():
            return render_service_page(request, application=application, form=form, status=400)
        scopes = form.cleaned_data["scopes"]
        exchange = playground_service.client_credentials_token(
            request=request,
            application=application,
            scopes=scopes,
            client_secret=form.cleaned_data["client_secret"],
        )
        body = exchange.json if exchange.ok else None
        access_token = body.get("access_token") if isinstance(body, dict) else None
        calls = (
            playground_service.service_api_calls(request=request, access_token=access_token)
            if isinstance(access_token, str)
            else ()
        )
        return render_service_page(
            request,
            application=application,
            form=service_form(application, scopes=scopes),  # the secret is not shown back
            exchange=exchange,
            calls=calls,
        )
