"""Account forms: parse and validate what a person types; the services do the rest."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm

User = get_user_model()


def _email_field() -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _normalized_email(email: str) -> str:
    """``email`` with its domain lower-cased. Whether another account has it is never said
    here: that would tell anyone who has an account (the services decide what gets mailed)."""
    return User.objects.normalize_email(email)


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
        return _normalized_email(self.cleaned_data["email"])


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
        return _normalized_email(self.cleaned_data["email"])


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset form (it mails only active accounts that match), with our label."""

    email = _email_field()

    def get_users(self, email):
        """The account that verified ``email`` if there is one, else those holding it
        unverified: several accounts may hold an address unverified (sign-up does not refuse
        a taken one), and the owner of a verified address must not get links to the others."""
        users = list(super().get_users(email))
        verified = [user for user in users if user.email_verified]
        return verified or users


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (old password, the new one twice), and whether the user's connected apps
    lose their access too (see accounts/signals.py)."""

    sign_out_apps = forms.BooleanField(
        label="Also sign out of connected apps",
        required=False,
        help_text="Apps you allowed to use your account lose that access and must ask you to "
        "sign in again. Do this if someone else may have known your password.",
    )
