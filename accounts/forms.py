"""Account forms: parse and validate what a person types; the services do the rest."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError

User = get_user_model()


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _unique_email(email: str, *, user=None) -> str:
    """``email`` normalised, refused when another account has it in any letter case.

    Password reset looks addresses up case-insensitively, so two accounts whose addresses
    differ only in case would both receive the other's reset link.
    """
    email = User.objects.normalize_email(email)
    others = User.objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError(
            "Another account already uses this e-mail address.", code="email_taken"
        )
    return email


class SignUpForm(UserCreationForm):
    """Username (unique in any letter case, from Django), e-mail and a password that passes
    ``AUTH_PASSWORD_VALIDATORS`` (checked against the username and e-mail too)."""

    email = _email_field()

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocapitalize"] = "none"

    def clean_email(self) -> str:
        return _unique_email(self.cleaned_data["email"])


class ProfileForm(forms.Form):
    """The names and e-mail address that feed the OpenID ``profile`` and ``email`` claims."""

    first_name = forms.CharField(
        label="First name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = _email_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        return _unique_email(self.cleaned_data["email"], user=self.user)


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form (it mails only active accounts that match), with our label."""

    email = _email_field()
