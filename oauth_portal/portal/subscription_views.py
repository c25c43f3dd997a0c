"""The portal's sandbox and subscription actions: list or remove a test user, request
production, subscribe an app to an API, unsubscribe. Each is a POST that calls one service
(which writes the audit event) and goes back to the page it came from with a message."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from oauth_portal.portal.forms.subscriptions import (
    ApplicationSubscribeForm,
    SandboxTesterForm,
    SubscribeForm,
)
from oauth_portal.portal.views import OwnedApplicationMixin
from oauth_portal.server import environments, subscriptions
from oauth_portal.server.models import ApiResource, Subscription


def first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


class SandboxTesterAddView(OwnedApplicationMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = SandboxTesterForm(request.POST)
        if not form.is_valid():
            messages.error(request, first_error(form))
            return self.section_redirect()
        try:
            tester = environments.sandbox_tester_add(
                application=self.application,
                actor=request.user,
                identifier=form.cleaned_data["identifier"],
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.section_redirect()
        messages.success(request, f"{tester.identifier} can now sign in to this app.")
        return self.section_redirect()

    def section_redirect(self):
        url = reverse("portal:application-detail", args=[self.application.pk])
        return redirect(f"{url}#environment-title")


class SandboxTesterRemoveView(SandboxTesterAddView):
    def post(self, request, *args, **kwargs):
        if environments.sandbox_tester_remove(
            application=self.application,
            actor=request.user,
            tester_id=self.kwargs["tester_id"],
            request=request,
        ):
            messages.success(request, "Test user removed; their tokens for this app were revoked.")
        return self.section_redirect()


class ProductionRequestView(SandboxTesterAddView):
    def post(self, request, *args, **kwargs):
        live = environments.production_request(
            application=self.application, actor=request.user, request=request
        )
        if live:
            messages.success(request, "This app is in production: everyone can sign in to it.")
        else:
            messages.success(request, "Production requested. An administrator will review it.")
        return self.section_redirect()


class SubscriptionCreateView(LoginRequiredMixin, View):
    """Subscribe one of the developer's apps to the API in the URL (the catalogue's form)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        api = get_object_or_404(ApiResource, pk=self.kwargs["api_pk"])
        form = SubscribeForm(request.POST, owner=request.user)
        if form.is_valid():
            subscribe(request, application=form.cleaned_data["application"], api=api)
        else:
            messages.error(request, first_error(form))
        return redirect(f"{reverse('portal:apis')}#api-{api.pk}")


class ApplicationSubscribeView(OwnedApplicationMixin, View):
    """Subscribe the app in the URL to the API chosen on its page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ApplicationSubscribeForm(request.POST)
        if form.is_valid():
            subscribe(request, application=self.application, api=form.cleaned_data["api"])
        else:
            messages.error(request, first_error(form))
        url = reverse("portal:application-detail", args=[self.application.pk])
        return redirect(f"{url}#subscriptions-title")


def subscribe(request, *, application, api) -> None:
    try:
        subscription = subscriptions.subscription_create(
            application=application, api=api, actor=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, subscribed_message(subscription))


def subscribed_message(subscription: Subscription) -> str:
    names = f"{subscription.application.name} is subscribed to {subscription.api.name}"
    if subscription.status == Subscription.Status.PENDING:
        return f"{names}, pending approval: its scopes work once the subscription is approved."
    return f"{names}: it may ask for the API's scopes now."


class SubscriptionDeleteView(OwnedApplicationMixin, View):
    """Unsubscribe: the app's tokens carrying the API's scopes are revoked at once."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        subscription = get_object_or_404(
            Subscription.objects.select_related("api"),
            pk=self.kwargs["subscription_id"],
            application=self.application,
        )
        revoked = subscriptions.subscription_delete(
            subscription=subscription, actor=request.user, request=request
        )
        messages.success(
            request,
            f"Unsubscribed from {subscription.api.name}; "
            f"{revoked} token{'s' if revoked != 1 else ''} for it revoked.",
        )
        url = reverse("portal:application-detail", args=[self.application.pk])
        return redirect(f"{url}#subscriptions-title")
