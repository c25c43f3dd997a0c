"""Developer-portal forms: parse and validate what a developer types about an app.

Every message names the value at fault and says what to write instead. The rules follow
RFC 9700 and RFC 8252: absolute redirect URIs matched exactly, https except on loopback
addresses, private-use schemes (``com.example.app:/callback``) only for native apps, no
fragments, wildcards or user-info; an origin is ``scheme://host[:port]`` and nothing more.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from oauth_portal.server.models import LOOPBACK_HOSTS, Application, Scope

MAX_URIS = 20
MAX_URI_LENGTH = 2000
# RFC 3986 §3.1 scheme; RFC 8252 §7.1 wants a reverse domain name, so it must contain a dot.
PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+$")
OPENID_SCOPES = frozenset({"openid", "profile", "email"})

KIND_HELP = {
    Application.Kind.WEB: "Runs on a server that can keep a secret. Gets a client secret.",
    Application.Kind.SPA: "Runs in the browser (React, Vue…). No secret: PKCE, and the "
    "origins it is served from may call our endpoints.",
    Application.Kind.NATIVE: "Installed on a phone or desktop. No secret: PKCE, and it may "
    "use a private-use scheme such as com.example.app:/callback.",
    Application.Kind.SERVICE: "A backend calling APIs for itself, with no user signing in "
    "(client credentials). Gets a client secret; no redirect URIs.",
}

GRACE_CHOICES = [
    ("0", "None: the old secret stops now"),
    ("3600", "1 hour"),
    ("86400", "24 hours"),
    ("604800", "7 days"),
]


def _lines(value: str, *, label: str) -> list[str]:
    """Non-empty lines, without duplicates; refuses unreasonable amounts."""
    lines = list(dict.fromkeys(line.strip() for line in value.splitlines() if line.strip()))
    if len(lines) > MAX_URIS:
        raise ValidationError(
            "At most %(max)d %(label)s, one a line.",
            code="too_many",
            params={"max": MAX_URIS, "label": label},
        )
    return lines


def _is_loopback_http(parts) -> bool:
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def redirect_uri_problem(uri: str, *, kind: str) -> ValidationError | None:
    """What is wrong with one redirect URI for an app of ``kind``, or None."""
    problem = _uri_shape_problem(uri)
    if problem:
        return problem
    parts = urlsplit(uri)
    if parts.scheme == "https" or _is_loopback_http(parts):
        return None
    if parts.scheme == "http":
        return ValidationError(
            "%(uri)s uses plain http: use https (http is only for 127.0.0.1, [::1] and "
            "localhost while you develop).",
            code="insecure_redirect_uri",
            params={"uri": uri},
        )
    if kind != Application.Kind.NATIVE:
        return ValidationError(
            "%(uri)s: only native apps may use a private-use scheme; a web page is reached "
            "with https.",
            code="private_scheme_not_native",
            params={"uri": uri},
        )
    if not PRIVATE_USE_SCHEME.match(parts.scheme):
        return ValidationError(
            "%(uri)s: a private-use scheme is a reversed domain name you own, like "
            "com.example.app:/callback (RFC 8252).",
            code="private_scheme_not_reverse_domain",
            params={"uri": uri},
        )
    return None


def _uri_shape_problem(uri: str) -> ValidationError | None:
    """Problems any redirect URI may have, whatever its scheme."""
    params = {"uri": uri}
    if len(uri) > MAX_URI_LENGTH or any(char.isspace() or ord(char) < 32 for char in uri):
        return ValidationError("%(uri)s is not a valid URI.", code="invalid_uri", params=params)
    if "*" in uri:
        return ValidationError(
            "%(uri)s contains a wildcard: register every URI in full; we match them exactly.",
            code="wildcard_redirect_uri",
            params=params,
        )
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return ValidationError("%(uri)s is not a valid URI.", code="invalid_uri", params=params)
    if not parts.scheme or (parts.scheme in ("http", "https") and not parts.hostname):
        return ValidationError(
            "%(uri)s is not an absolute URI: write it in full, like "
            "https://app.example.com/callback.",
            code="relative_redirect_uri",
            params=params,
        )
    if "#" in uri:
        return ValidationError(
            "%(uri)s has a fragment (#…): redirect URIs cannot have one; remove it.",
            code="fragment_redirect_uri",
            params=params,
        )
    if "@" in parts.netloc:
        return ValidationError(
            "%(uri)s contains a user name or password (user@host): remove it.",
            code="userinfo_redirect_uri",
            params=params,
        )
    return None


def origin_problem(origin: str) -> ValidationError | None:
    """What is wrong with one allowed origin, or None."""
    params = {"origin": origin}
    if "*" in origin:
        return ValidationError(
            "%(origin)s contains a wildcard: list every origin in full.",
            code="wildcard_origin",
            params=params,
        )
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return ValidationError(
            "%(origin)s is not an origin: write scheme://host[:port], like https://app.example.com.",
            code="invalid_origin",
            params=params,
        )
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        return ValidationError(
            "%(origin)s has more than scheme://host[:port]: an origin has no path (not even "
            "a final /), query or user name. Use %(bare)s.",
            code="origin_with_path",
            params={**params, "bare": f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"},
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return ValidationError(
            "%(origin)s uses plain http: use https (http only for loopback hosts).",
            code="insecure_origin",
            params=params,
        )
    return None


def _https_url_field(label: str, help_text: str = "") -> forms.URLField:
    return forms.URLField(
        label=label,
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=help_text,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )


def _scope_field(label: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        queryset=Scope.objects.filter(is_active=True),
        to_field_name="name",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ApplicationSettingsForm(forms.Form):
    """What a developer may change about an app after registering it (not its kind)."""

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
    redirect_uris = forms.CharField(
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
    post_logout_redirect_uris = forms.CharField(
        label="Post-logout redirect URIs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text="Where we may send users after they sign out through your app (optional).",
    )
    allowed_origins = forms.CharField(
        label="Allowed origins",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "https://app.example.com", "spellcheck": "false"}
        ),
        help_text="Single-page apps: the origins your app is served from (scheme://host[:port], "
        "no path). They may call the token, userinfo and revocation endpoints and the APIs.",
    )
    allowed_scopes = _scope_field("Scopes your app may ask for")
    required_scopes = _scope_field("Scopes your app cannot work without")

    def __init__(self, *args, kind: str, playground: bool = False, **kwargs):
        self.kind = kind
        self.playground = playground
        super().__init__(*args, **kwargs)

    def clean_redirect_uris(self) -> list[str]:
        return self._uris("redirect_uris", label="redirect URIs")

    def clean_post_logout_redirect_uris(self) -> list[str]:
        return self._uris("post_logout_redirect_uris", label="post-logout redirect URIs")

    def _uris(self, name: str, *, label: str) -> list[str]:
        uris = _lines(self.cleaned_data[name], label=label)
        problems = [redirect_uri_problem(uri, kind=self.kind) for uri in uris]
        if any(problems):
            raise ValidationError([problem for problem in problems if problem])
        return uris

    def clean_allowed_origins(self) -> list[str]:
        origins = _lines(self.cleaned_data["allowed_origins"], label="origins")
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
        if kind == Application.Kind.SERVICE:
            for name in ("redirect_uris", "post_logout_redirect_uris", "allowed_origins"):
                if cleaned.get(name):
                    self.add_error(
                        name,
                        ValidationError(
                            "A service signs in no user: leave this empty.",
                            code="not_for_service",
                        ),
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


class ApplicationRegisterForm(ApplicationSettingsForm):
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
        # A service has no sign-in, so no playground.
        self.playground = self.cleaned_data["playground_enabled"] and (
            self.kind != Application.Kind.SERVICE
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


class SecretRotateForm(forms.Form):
    """How long the old secret keeps working after the new one is made."""

    grace = forms.TypedChoiceField(
        label="Keep the old secret working for",
        choices=GRACE_CHOICES,
        coerce=lambda seconds: timedelta(seconds=int(seconds)),
        initial="3600",
    )


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
