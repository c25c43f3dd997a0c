"""Confirmation pages for the connected-apps actions: removing an app's access, or one
permission, asks first, on a page of its own (no JavaScript needed). The page posts to the
action's own POST-only view (``views.ConnectedAppRevokeView`` and its neighbour)."""

from django.http import Http404
from django.views.generic import TemplateView

from accounts.views import OwnedConsentMixin
from oauth_portal.server import consents


class ConnectedAppRevokeConfirmView(OwnedConsentMixin, TemplateView):
    """The page that asks "Remove access for <app>?", says what that does, and does it."""

    http_method_names = ["get"]
    template_name = "accounts/connected_app_confirm.html"

    def get_context_data(self, **kwargs):
        application = self.get_consent().application
        return super().get_context_data(application=application, scope=None, **kwargs)


class ConnectedAppScopeRemoveConfirmView(OwnedConsentMixin, TemplateView):
    """The page that asks "Remove <permission> from <app>?"; one not held is a 404."""

    http_method_names = ["get"]
    template_name = "accounts/connected_app_confirm.html"

    def get_context_data(self, **kwargs):
        consent = self.get_consent()
        scope = consents.consent_scope_for_display(
            consent=consent, scope=self.request.GET.get("scope", "")[:100]
        )
        if scope is None:
            raise Http404("That app does not hold this permission.")
        return super().get_context_data(application=consent.application, scope=scope, **kwargs)
