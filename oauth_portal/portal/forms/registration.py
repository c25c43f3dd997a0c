"""Registering an app: the kind of app, the playground switch, then the settings."""

from django import forms
from django.core.exceptions import ValidationError

from oauth_portal.portal.forms.settings import ApplicationFieldsForm
from oauth_portal.portal.forms.validation import redirect_uri_problem
from oauth_portal.server.models import Application

KIND_HELP = {
    Application.Kind.WEB: "Runs on a server that can keep a secret. Gets a client secret.",
    Application.Kind.SPA: "Runs in the browser (React, Vue…). No secret: PKCE, and the "
    "origins it is served from may call our endpoints.",
    Application.Kind.NATIVE: "Installed on a phone or desktop. No secret: PKCE, and it may "
    "use a private-use scheme such as com.example.app:/callback.",
    Application.Kind.SERVICE: "A backend calling APIs for itself, with no user signing in "
    "(client credentials). Gets a client secret; no redirect URIs.",
    Application.Kind.DEVICE: "A TV, console or command-line tool without a browser: it shows "
    "a short code that the user types at our device page (RFC 8628). No secret, no redirect "
    "URIs.",
}


class ApplicationRegisterForm(ApplicationFieldsForm):
    """Registration: the settings, plus the kind of app and the playground switch.

    ``kind`` and ``playground_enabled`` come first, so the URI rules that depend on them
    (private-use schemes for native apps, none at all for services) know them when they run.
    """

    field_order = ["name", "kind", "playground_enabled"]

    kind = forms.ChoiceField(
        label="What kind of app is it?",
        choices=Application.Kind.choices,
        widget=forms.RadioSelect,
    )
    playground_enabled = forms.BooleanField(
        label="Let me try it in the portal's playground",
        required=False,
        initial=True,
        help_text="Adds the playground's callback to the redirect URIs; turn it off on the app "
        "page before you go live.",
    )

    def __init__(self, *args, playground_callback_url: str, **kwargs):
        self.playground_callback_url = playground_callback_url
        super().__init__(*args, kind="", **kwargs)

    def clean_kind(self) -> str:
        self.kind = self.cleaned_data["kind"]
        return self.kind

    def clean_playground_enabled(self) -> bool:
        # A service has no sign-in and a device no redirect, so neither has a playground.
        self.playground = self.cleaned_data["playground_enabled"] and (
            self.kind not in (Application.Kind.SERVICE, Application.Kind.DEVICE)
        )
        if self.playground and redirect_uri_problem(self.playground_callback_url, kind=self.kind):
            # e.g. the portal reached over plain http on a non-loopback host while developing.
            raise ValidationError(
                "The playground's address, %(uri)s, cannot be a redirect URI (it must be https "
                "or on a loopback address): untick this.",
                code="playground_unavailable",
                params={"uri": self.playground_callback_url},
            )
        return self.playground

    def clean(self):
        if not self.kind:
            return self.cleaned_data  # no kind chosen: the kind's own error says so
        return super().clean()
