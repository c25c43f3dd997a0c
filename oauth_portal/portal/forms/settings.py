"""The fields of an app a developer edits, their validation, and the settings form."""

from django import forms
from django.core.exceptions import ValidationError

from oauth_portal.portal.forms.validation import (
    capped_lines,
    distinct_lines,
    origin_problem,
    redirect_uri_problem,
)
from oauth_portal.server.models import Application, Scope
from oauth_portal.server.publishing import GRANTABLE_SCOPES

OPENID_SCOPES = frozenset({"openid", "profile", "email"})
# Kinds that never send a browser back to the app, with why a redirect field must stay empty.
NO_REDIRECT_KINDS = {
    Application.Kind.SERVICE: "A service signs in no user: leave this empty.",
    Application.Kind.DEVICE: "A device's user signs in at our device page, never through a "
    "redirect: leave this empty.",
}


def _https_url_field(label: str, help_text: str = "") -> forms.URLField:
    return forms.URLField(
        label=label,
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=help_text,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )


class LinesField(forms.CharField):
    """Values one a line (URIs, origins). It has changed when the list has: not when only line
    endings (browsers send CRLF), blank lines, repeats or ``unchanged_by`` values differ."""

    def __init__(self, *, unchanged_by: frozenset[str] = frozenset(), **kwargs):
        self.unchanged_by = unchanged_by
        super().__init__(**kwargs)

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        old, new = (distinct_lines(self.to_python(value)) for value in (initial, data))
        ignored = self.unchanged_by
        return [v for v in old if v not in ignored] != [v for v in new if v not in ignored]


def _scope_field(label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Scope.objects.filter(GRANTABLE_SCOPES),
        to_field_name="name",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ApplicationFieldsForm(forms.Form):
    """What a developer types about an app, at registration and after (all but its kind)."""

    name = forms.CharField(label="App name", max_length=100, help_text="Your users see it.")
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences for the consent page.",
    )
    homepage_url = _https_url_field("Homepage")
    logo_url = _https_url_field("Logo URL", "A square image, shown on the consent page.")
    privacy_policy_url = _https_url_field("Privacy policy URL")
    terms_url = _https_url_field("Terms of service URL")
    redirect_uris = LinesField(
        label="Redirect URIs",
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "https://app.example.com/callback",
                "spellcheck": "false",
            }
        ),
        help_text="Where we send users back after they sign in; one a line, matched exactly. "
        "https, or http://127.0.0.1:<port>/… and http://localhost… while you develop.",
    )
    post_logout_redirect_uris = LinesField(
        label="Post-logout redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="Where we may send users after they sign out through your app (optional).",
    )
    allowed_origins = LinesField(
        label="Allowed origins",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "https://app.example.com", "spellcheck": "false"}
        ),
        help_text="Single-page apps: the origins your app is served from (scheme://host[:port], "
        "no path). They may call the token, userinfo and revocation endpoints and the APIs.",
    )
    backchannel_logout_uri = _https_url_field(
        "Back-channel logout URI",
        "Optional: we POST a signed logout token here when a user who signed in to your app "
        "signs out (OpenID Connect Back-Channel Logout).",
    )
    backchannel_logout_session_required = forms.BooleanField(
        label="Logout tokens must name the session (sid)", required=False
    )
    allowed_scopes = _scope_field("Scopes your app may ask for")
    required_scopes = _scope_field("Scopes your app cannot work without")
    require_mfa = forms.BooleanField(
        label="Require two-step verification",
        required=False,
        help_text="Users confirm their sign-in with an authenticator app or a passkey before "
        "your app gets a code; ID tokens then carry the multi-factor acr.",
    )

    def __init__(self, *args, kind: str, playground: bool = False, **kwargs):
        self.kind = kind
        self.playground = playground
        super().__init__(*args, **kwargs)

    def clean_redirect_uris(self) -> list[str]:
        return self._uris("redirect_uris", label="redirect URIs")

    def clean_post_logout_redirect_uris(self) -> list[str]:
        return self._uris("post_logout_redirect_uris", label="post-logout redirect URIs")

    def _uris(self, name: str, *, label: str) -> list[str]:
        uris = capped_lines(self.cleaned_data[name], label=label)
        problems = [redirect_uri_problem(uri, kind=self.kind) for uri in uris]
        if any(problems):
            raise ValidationError([problem for problem in problems if problem])
        return uris

    def clean_allowed_origins(self) -> list[str]:
        origins = capped_lines(self.cleaned_data["allowed_origins"], label="origins")
        problems = [origin_problem(origin) for origin in origins]
        if any(problems):
            raise ValidationError([problem for problem in problems if problem])
        return origins

    def clean(self):
        cleaned = super().clean()
        self._check_kind_rules(cleaned)
        self._check_scopes(cleaned)
        return cleaned

    def _check_kind_rules(self, cleaned: dict) -> None:
        kind = self.kind
        redirect_uris = cleaned.get("redirect_uris")
        if kind in NO_REDIRECT_KINDS:
            for name in ("redirect_uris", "post_logout_redirect_uris", "allowed_origins"):
                if cleaned.get(name):
                    self.add_error(
                        name,
                        ValidationError(NO_REDIRECT_KINDS[kind], code="not_for_service"),
                    )
            return
        if redirect_uris == [] and not self.playground:
            self.add_error(
                "redirect_uris",
                ValidationError(
                    "Add at least one redirect URI: where we send users back after they sign in.",
                    code="redirect_uri_required",
                ),
            )
        origins = cleaned.get("allowed_origins")
        if kind == Application.Kind.SPA and origins == []:
            self.add_error(
                "allowed_origins",
                ValidationError(
                    "A single-page app calls our endpoints from the browser: add the origin it "
                    "is served from, like https://app.example.com.",
                    code="origin_required",
                ),
            )
        elif kind != Application.Kind.SPA and origins:
            self.add_error(
                "allowed_origins",
                ValidationError(
                    "Only single-page apps call our endpoints from a browser: leave this empty.",
                    code="origins_for_spa_only",
                ),
            )

    def _check_scopes(self, cleaned: dict) -> None:
        allowed = cleaned.get("allowed_scopes")
        required = cleaned.get("required_scopes")
        if allowed is None or required is None:
            return
        if not allowed:
            self.add_error(
                "allowed_scopes",
                ValidationError("Pick at least one scope.", code="scope_required"),
            )
        not_allowed = sorted({scope.name for scope in required} - {s.name for s in allowed})
        if not_allowed:
            self.add_error(
                "required_scopes",
                ValidationError(
                    "A required scope must also be one your app may ask for: %(scopes)s.",
                    code="required_not_allowed",
                    params={"scopes": ", ".join(not_allowed)},
                ),
            )
        openid = sorted(OPENID_SCOPES & {scope.name for scope in allowed})
        if self.kind == Application.Kind.SERVICE and openid:
            self.add_error(
                "allowed_scopes",
                ValidationError(
                    "A service signs in no user, so it cannot ask for %(scopes)s.",
                    code="openid_for_service",
                    params={"scopes": ", ".join(openid)},
                ),
            )

    def add_model_errors(self, error: ValidationError) -> None:
        """Show the errors of ``Application.clean()`` next to the fields they are about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


class ApplicationSettingsForm(ApplicationFieldsForm):
    """The settings of ``application`` as they stand, as a ModelForm holds its instance, so
    that ``changed_data`` names what the developer changed.

    The playground's callback is managed by its switch: not shown here, and never a change.
    """

    refresh_tokens_need_offline_access = forms.BooleanField(
        label="Refresh tokens only with offline_access",
        required=False,
        help_text="Strict: your app gets a refresh token only when the user allows "
        "offline_access. Off: without offline_access your app still gets a refresh token, "
        "which ends when the user signs out.",
    )

    def __init__(self, *args, application: Application, playground_callback_url: str, **kwargs):
        super().__init__(
            *args,
            initial=self.initial_of(application, callback_url=playground_callback_url),
            kind=application.kind,
            playground=application.playground_enabled,
            **kwargs,
        )
        self.fields["redirect_uris"].unchanged_by = frozenset({playground_callback_url})

    @staticmethod
    def initial_of(application: Application, *, callback_url: str) -> dict:
        redirect_uris = [uri for uri in application.redirect_uris.split() if uri != callback_url]
        return {
            "name": application.name,
            "description": application.description,
            "homepage_url": application.homepage_url,
            "logo_url": application.logo_url,
            "privacy_policy_url": application.privacy_policy_url,
            "terms_url": application.terms_url,
            "redirect_uris": "\n".join(redirect_uris),
            "post_logout_redirect_uris": "\n".join(application.post_logout_redirect_uris.split()),
            "allowed_origins": "\n".join(application.allowed_origins.split()),
            "backchannel_logout_uri": application.backchannel_logout_uri,
            "backchannel_logout_session_required": application.backchannel_logout_session_required,
            "require_mfa": application.require_mfa,
            "allowed_scopes": [scope.name for scope in application.allowed_scopes.all()],
            "required_scopes": [scope.name for scope in application.required_scopes.all()],
            "refresh_tokens_need_offline_access": application.refresh_tokens_need_offline_access,
        }
