"""The playground's forms: its switch on the app page, and the steps of a trial sign-in."""

from django import forms

from oauth_portal.server.models import Application


class PlaygroundToggleForm(forms.Form):
    enabled = forms.BooleanField(required=False)


class PlaygroundStartForm(forms.Form):
    """Which of the developer's apps to try, with which scopes."""

    application = forms.ModelChoiceField(label="App", queryset=Application.objects.none())
    scopes = forms.MultipleChoiceField(
        label="Scopes to ask for", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, applications, scope_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications
        self.fields["scopes"].choices = [(name, name) for name in scope_names]


class PlaygroundExchangeForm(forms.Form):
    """The code the playground received, and the secret of a confidential app (never kept)."""

    code = forms.CharField(max_length=512, widget=forms.HiddenInput)
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Used for this one request, then forgotten: never stored or logged.",
    )


class PlaygroundTokenForm(forms.Form):
    """A token the playground page holds (refresh or revoke), and the secret if needed."""

    token = forms.CharField(max_length=4096, widget=forms.HiddenInput)
    access_token = forms.CharField(max_length=4096, required=False, widget=forms.HiddenInput)
    client_secret = PlaygroundExchangeForm.base_fields["client_secret"]


class PlaygroundClientCredentialsForm(forms.Form):
    """A service's run: the API scopes to ask for, and its client secret (never kept)."""

    scopes = forms.MultipleChoiceField(
        label="Scopes to ask for", widget=forms.CheckboxSelectMultiple
    )
    client_secret = forms.CharField(
        label="Client secret",
        max_length=512,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Shown once when you registered the app or rotated the secret. Used for this "
        "one request, then forgotten: never stored or logged.",
        error_messages={
            "required": "Paste this service's client secret: it authenticates at the token "
            "endpoint with it."
        },
    )

    def __init__(self, *args, scope_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(name, name) for name in scope_names]
