"""What an API publisher types about their API's roles and custom claims.

The rules themselves are the server's: role names are checked by the ``Role`` model's
validator, claim keys and user fields by the ``CustomClaim`` model (a namespaced URL, no
registered claim, no secret field) through a model form. The forms only add what a page needs:
the choices of this API alone, and a clash named before the database would refuse it.
"""

from django import forms
from django.core.exceptions import ValidationError

from oauth_portal.server.models import ApiResource, CustomClaim, Role, Scope
from oauth_portal.server.models.claims import releasable_user_fields
from oauth_portal.server.models.roles import validate_role_name


class RoleAddForm(forms.Form):
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
    decide what they carry."""

    attribute = forms.ChoiceField(label="User field", required=False)

    class Meta:
        model = CustomClaim
        fields = ["key", "source", "attribute"]
        labels = {"key": "Claim name", "source": "Value"}

    def __init__(self, *args, api: ApiResource, **kwargs):
        super().__init__(*args, instance=CustomClaim(api=api), **kwargs)
        self.fields["attribute"].choices = [("", "—")] + [
            (name, name) for name in releasable_user_fields()
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
