"""API publishers' pages under /portal/publish/: register an API, then manage its scopes and
operations (Azure's "Expose an API", done by the API's own team).

Only publishers (``publishing.is_publisher``) reach these pages; anyone else signed in gets a
403. Every API is looked up through ``publishing.apis_for_publisher``: another publisher's API
is a 404. Every change is a POST that calls a service, which writes the audit event.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, TemplateView

from oauth_portal.portal.forms import publishing as forms
from oauth_portal.server import api_catalogue, publishing, subscriptions
from oauth_portal.server.models import ApiOperation, ApiResource


class PublisherRequiredMixin(LoginRequiredMixin):
    """Signed in, and allowed to publish APIs; a 403 page otherwise."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not publishing.is_publisher(request.user):
            raise PermissionDenied("Only API publishers can register APIs.")
        return super().dispatch(request, *args, **kwargs)


class OwnedApiMixin(PublisherRequiredMixin):
    """The API named in the URL, if the publisher manages it; a 404 otherwise."""

    @cached_property
    def api(self) -> ApiResource:
        return get_object_or_404(
            publishing.apis_for_publisher(user=self.request.user), pk=self.kwargs["pk"]
        )

    def api_redirect(self):
        return redirect("portal:publisher-api", pk=self.api.pk)


def scope_rows(api: ApiResource) -> list[dict]:
    """The API's scopes, each with what uses it: a scope in use can be disabled, not deleted."""
    rows = []
    for scope in api.scopes.order_by("name"):
        usage = api_catalogue.scope_usage(scope=scope)
        where = ", ".join(f"{count} {what}" for what, count in usage.items())
        rows.append({"scope": scope, "in_use": where, "deletable": not usage})
    return rows


class PublisherApiListView(PublisherRequiredMixin, TemplateView):
    """The APIs this publisher manages, with their status."""

    template_name = "portal/publisher/api_list.html"

    def get_context_data(self, **kwargs):
        apis = publishing.apis_for_publisher(user=self.request.user).order_by("name")
        return super().get_context_data(**kwargs, apis=apis)


class PublisherApiSubmitView(PublisherRequiredMixin, FormView):
    """Register an API; it waits for an administrator before anyone can ask for it."""

    template_name = "portal/publisher/api_submit.html"
    form_class = forms.ApiSubmitForm

    def form_valid(self, form):
        try:
            api = publishing.api_submit(
                owner=self.request.user, request=self.request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{api.name} was submitted. An administrator will review it; until then it is not "
            "in the catalogue and its scopes cannot be granted.",
        )
        return redirect("portal:publisher-api", pk=api.pk)


class PublisherApiDetailView(OwnedApiMixin, View):
    """An API's page: status, details, scopes, operations."""

    def get(self, request, *args, **kwargs):
        return self.render_page()

    def render_page(self, *, details_form=None, scope_form=None, operation_form=None, status=200):
        api = self.api
        context = {
            "api": api,
            "details_form": details_form
            or forms.ApiDetailsForm(
                api=api, initial={"name": api.name, "description": api.description}
            ),
            "scope_form": scope_form or forms.ScopeAddForm(),
            "operation_form": operation_form or forms.OperationAddForm(api=api),
            "scope_rows": scope_rows(api),
            "operations": api.operations.select_related("scope").order_by("path", "method"),
            "is_pending": api.status == ApiResource.Status.PENDING,
            "subscriptions": api.subscriptions.select_related(
                "application", "application__user"
            ).order_by("status", "-created"),
        }
        return render(self.request, "portal/publisher/api_detail.html", context, status=status)


class PublisherApiUpdateView(PublisherApiDetailView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = forms.ApiDetailsForm(request.POST, api=self.api)
        if not form.is_valid():
            return self.render_page(details_form=form, status=400)
        publishing.api_details_change(
            api=self.api, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, "Saved.")
        return self.api_redirect()


class PublisherScopeAddView(PublisherApiDetailView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = forms.ScopeAddForm(request.POST)
        if not form.is_valid():
            return self.render_page(scope_form=form, status=400)
        try:
            publishing.scope_add(
                api=self.api,
                actor=request.user,
                name=form.cleaned_data["scope_name"],
                description=form.cleaned_data["scope_description"],
                request=request,
            )
        except ValidationError as error:  # the model's backstop, e.g. a name taken meanwhile
            form.add_error(None, error.messages)
            return self.render_page(scope_form=form, status=400)
        messages.success(request, f"Added the scope {form.cleaned_data['scope_name']}.")
        return self.api_redirect()


class PublisherScopeDisableView(OwnedApiMixin, View):
    """Stop granting a scope (tokens already issued keep it until they expire)."""

    http_method_names = ["post"]
    active = False

    def post(self, request, *args, **kwargs):
        scope = get_object_or_404(self.api.scopes, pk=kwargs["scope_id"])
        api_catalogue.scope_active_set(
            scope=scope, active=self.active, actor=request.user, request=request
        )
        verb = "enabled" if self.active else "disabled"
        messages.success(request, f"The scope {scope.name} is {verb}.")
        return self.api_redirect()


class PublisherScopeEnableView(PublisherScopeDisableView):
    active = True


class PublisherScopeDeleteView(OwnedApiMixin, View):
    """Delete a scope nothing uses; one in use can only be disabled, as in the admin."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        scope = get_object_or_404(self.api.scopes, pk=kwargs["scope_id"])
        try:
            api_catalogue.scope_delete(scope=scope, actor=request.user, request=request)
        except api_catalogue.ScopeInUse as in_use:
            messages.error(request, str(in_use))
        else:
            messages.success(request, f"Deleted the scope {scope.name}.")
        return self.api_redirect()


class PublisherOperationAddView(PublisherApiDetailView):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = forms.OperationAddForm(request.POST, api=self.api)
        if not form.is_valid():
            return self.render_page(operation_form=form, status=400)
        operation = ApiOperation(api=self.api, **form.cleaned_data)
        try:
            publishing.operation_save(operation=operation, actor=request.user, request=request)
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.render_page(operation_form=form, status=400)
        messages.success(request, f"Added {operation}.")
        return self.api_redirect()


class PublisherOperationDeleteView(OwnedApiMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        operation = get_object_or_404(self.api.operations, pk=kwargs["operation_id"])
        publishing.operation_delete(operation=operation, actor=request.user, request=request)
        messages.success(request, f"Removed {operation}; requests to it are now refused.")
        return self.api_redirect()


class PublisherSubscriptionDecideView(OwnedApiMixin, View):
    """Approve or reject an app's subscription to one of the publisher's APIs (an API that
    wants each subscription approved waits for this, or for an administrator)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if kwargs["decision"] not in ("approve", "reject"):
            raise Http404("No such decision.")
        subscription = get_object_or_404(self.api.subscriptions, pk=kwargs["subscription_id"])
        decide = (
            subscriptions.subscription_approve
            if kwargs["decision"] == "approve"
            else subscriptions.subscription_reject
        )
        if decide(subscription=subscription, actor=request.user, request=request):
            verb = "approved" if kwargs["decision"] == "approve" else "rejected"
            messages.success(request, f"{subscription.application.name}'s subscription is {verb}.")
        return self.api_redirect()
