"""Forms of the app's environment and subscriptions: a test user to list, an app to subscribe."""

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from oauth_portal.server.clients import applications_for_owner
from oauth_portal.server.models import ApiResource


class SandboxTesterForm(forms.Form):
    identifier = forms.CharField(
        label="Username or e-mail address",
        max_length=254,
        help_text="They can sign in to this app while it is in the sandbox. An e-mail address "
        "counts once its owner has verified it.",
    )

    def clean_identifier(self) -> str:
        value = self.cleaned_data["identifier"].strip()
        if "@" in value and "." in value.rsplit("@", 1)[-1]:
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(
                    "%(value)s is not an e-mail address; type it as name@example.com.",
                    code="invalid_tester",
                    params={"value": value},
                ) from None
            return value
        try:
            UnicodeUsernameValidator()(value)
        except ValidationError:
            raise ValidationError(
                "%(value)s is neither a username (letters, digits and @.+-_) nor an e-mail "
                "address.",
                code="invalid_tester",
                params={"value": value},
            ) from None
        return value


class SubscribeForm(forms.Form):
    """Which of the developer's own apps subscribes (another developer's app is not a choice)."""

    application = forms.ModelChoiceField(
        queryset=None,
        label="App",
        error_messages={"invalid_choice": "Choose one of your apps.", "required": "Choose an app."},
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications_for_owner(owner=owner)


class ApplicationSubscribeForm(forms.Form):
    """Which API an app subscribes to, from the app's page."""

    api = forms.ModelChoiceField(
        queryset=ApiResource.objects.all(),
        label="API",
        error_messages={
            "invalid_choice": "Choose an API from the list.",
            "required": "Choose an API.",
        },
    )
