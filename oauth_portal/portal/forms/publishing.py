"""What an API publisher types about an API: the API, its scopes and its operations.

Names and identifiers are unique across the server; the checks here name the clash and the
fix before the service's own model validation (its backstop) would.
"""

from django import forms
from django.core.exceptions import ValidationError

from oauth_portal.server.models import ApiOperation, ApiResource, Scope
from oauth_portal.server.models.operations import validate_path_template
from oauth_portal.server.models.registry import scope_name_validator, validate_resource_identifier

# Scope names OpenID Connect defines (Core §5.4, §11): they mean sign-in and profile data to
# every client and user, so no API may take one.
RESERVED_SCOPE_NAMES = frozenset(
    {"openid", "profile", "email", "address", "phone", "offline_access"}
)


class ApiDetailsForm(forms.Form):
    name = forms.CharField(
        label="API name", max_length=100, help_text="Developers see it in the API catalogue."
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the API does, in a sentence or two.",
    )

    def __init__(self, *args, api: ApiResource | None = None, **kwargs):
        self.api = api
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = ApiResource.objects.filter(name__iexact=name)
        if self.api is not None:
            taken = taken.exclude(pk=self.api.pk)
        if taken.exists():
            raise ValidationError(
                "An API named %(name)s exists already: pick another name.",
                code="name_taken",
                params={"name": name},
            )
        return name


class ScopeFieldsMixin(forms.Form):
    scope_name = forms.CharField(
        label="Scope name",
        max_length=100,
        validators=[scope_name_validator],
        help_text="What apps ask for, e.g. orders:read. No spaces.",
    )
    scope_description = forms.CharField(
        label="Consent sentence",
        max_length=200,
        help_text='What users read on the consent page, in their words: "See your orders".',
    )

    def clean_scope_name(self) -> str:
        name = self.cleaned_data["scope_name"]
        if name.lower() in RESERVED_SCOPE_NAMES:
            raise ValidationError(
                "%(name)s is an OpenID Connect scope reserved for sign-in: name your API's "
                "scope after it, e.g. orders:read.",
                code="scope_reserved",
                params={"name": name},
            )
        if Scope.objects.filter(name=name).exists():
            raise ValidationError(
                "The scope %(name)s exists already: scope names are shared by every API, so "
                "prefix yours with your API's name.",
                code="scope_taken",
                params={"name": name},
            )
        return name


class ApiSubmitForm(ScopeFieldsMixin, ApiDetailsForm):
    """A new API: its name, identifier, description, and a first scope (an API without one
    could never be asked for)."""

    field_order = ["name", "identifier", "description", "scope_name", "scope_description"]

    identifier = forms.CharField(
        label="Identifier (audience)",
        max_length=255,
        validators=[validate_resource_identifier],
        help_text="Any absolute URI (RFC 8707), e.g. api://orders or https://api.example.com/"
        "orders. Apps send it as resource or audience; it cannot change later.",
    )

    def clean_identifier(self) -> str:
        identifier = self.cleaned_data["identifier"].strip()
        if ApiResource.objects.filter(identifier=identifier).exists():
            raise ValidationError(
                "An API with the identifier %(identifier)s exists already.",
                code="identifier_taken",
                params={"identifier": identifier},
            )
        return identifier


class ScopeAddForm(ScopeFieldsMixin):
    """Another scope for an existing API."""


class OperationAddForm(forms.Form):
    method = forms.ChoiceField(label="Method", choices=ApiOperation.Method.choices)
    path = forms.CharField(
        label="Path",
        max_length=200,
        validators=[validate_path_template],
        help_text="Relative to the API, e.g. /orders/ or /orders/{id}/ ({id} matches one "
        "path segment).",
    )
    scope = forms.ModelChoiceField(
        label="Scope it requires", queryset=Scope.objects.none(), to_field_name="name"
    )
    summary = forms.CharField(
        label="What it does", required=False, max_length=200, help_text="Optional."
    )

    def __init__(self, *args, api: ApiResource, **kwargs):
        self.api = api
        super().__init__(*args, **kwargs)
        # Only the API's own active scopes: a token for another API must not open this one.
        self.fields["scope"].queryset = api.scopes.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        method, path = cleaned.get("method"), cleaned.get("path")
        if method and path and self.api.operations.filter(method=method, path=path).exists():
            raise ValidationError(
                "%(method)s %(path)s is declared already: remove it first to change its scope.",
                code="operation_taken",
                params={"method": method, "path": path},
            )
        return cleaned
