"""What an API publisher types about their API's roles and custom claims.

The rules themselves are the server's: role names are checked by the ``Role`` model's
validator, claim keys and user fields by the ``CustomClaim`` model (a namespaced URL, no
registered claim, no secret field) through a model form. The forms only add what a page needs:
the choices of this API alone, and a clash named before the database would refuse it.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from oauth_portal.server.models import ApiResource, CustomClaim, Role, Scope
from oauth_portal.server.models.claims import releasable_user_fields
from oauth_portal.server.models.roles import validate_role_name

# User fields a publisher's claim may not carry, though an administrator's may. The identity
# fields are what OpenID Connect's profile and email scopes guard: the user consents to those on
# the consent page, and a publisher's claim would hand them to every client of the API without
# that consent. The privilege flags would tell an API team which accounts administer the server.
PUBLISHER_WITHHELD_FIELDS = frozenset(
    {"first_name", "last_name", "email_verified", "is_staff", "is_superuser"}
)


def publisher_releasable_fields() -> list[str]:
    """The user fields an API publisher may put in their API's tokens."""
    user_model = get_user_model()
    withheld = PUBLISHER_WITHHELD_FIELDS | {
        user_model.USERNAME_FIELD,
        user_model.get_email_field_name(),
    }
    return [name for name in releasable_user_fields() if name not in withheld]


class RolePermissionsForm(forms.Form):
    """A role's permissions: a set of its API's own scopes."""

    scopes = forms.ModelMultipleChoiceField(
        label="Permissions",
        queryset=Scope.objects.none(),
        to_field_name="name",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Scopes of this API that the role's holders are permitted.",
    )

    def __init__(self, *args, api: ApiResource, **kwargs):
        self.api = api
        super().__init__(*args, **kwargs)
        # Only this API's scopes: a role may never permit another API's.
        self.fields["scopes"].queryset = api.scopes.order_by("name")


class RoleAddForm(RolePermissionsForm):
    field_order = ["name", "description", "scopes"]

    name = forms.CharField(
        label="Role name",
        max_length=Role._meta.get_field("name").max_length,
        validators=[validate_role_name],
        help_text="Tokens carry it in the roles claim, e.g. editor.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=Role._meta.get_field("description").max_length,
        help_text="Optional: who should hold it.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if self.api.roles.filter(name=name).exists():
            raise ValidationError(
                "This API has a role named %(name)s already.",
                code="role_taken",
                params={"name": name},
            )
        return name


class RoleAssignForm(forms.Form):
    user = forms.CharField(
        label="Username or verified e-mail address",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_user(self) -> str:
        return self.cleaned_data["user"].strip()


class CustomClaimAddForm(forms.ModelForm):
    """A claim of this API's access tokens, validated by the ``CustomClaim`` model itself.

    ``in_id_token`` is not offered: ID tokens go to every client, so only administrators
    decide what they carry; nor are the fields ``PUBLISHER_WITHHELD_FIELDS`` names."""

    attribute = forms.ChoiceField(label="User field", required=False)

    class Meta:
        model = CustomClaim
        fields = ["key", "source", "attribute"]
        labels = {"key": "Claim name", "source": "Value"}

    def __init__(self, *args, api: ApiResource, **kwargs):
        super().__init__(*args, instance=CustomClaim(api=api), **kwargs)
        self.fields["attribute"].choices = [("", "—")] + [
            (name, name) for name in publisher_releasable_fields()
        ]
        self.fields["attribute"].help_text = "For a field of the user."

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        # The (api, key) constraint is not checked by the form: the API is not one of its fields.
        if self.instance.api.custom_claims.filter(key=key).exists():
            raise ValidationError(
                "This API's tokens carry a claim named %(key)s already.",
                code="claim_taken",
                params={"key": key},
            )
        return key
