"""OAuth clients: DOT's swapped Application model with the portal's fields, and the previous
secrets a rotation keeps working for a while."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    AbstractApplication,
    ApplicationManager,
    check_redirect_to_uri_allowed,
)
from oauth2_provider.utils import jwk_from_pem

from oauth_portal.server import signing_keys

LOOPBACK_IP_HOSTS = frozenset({"127.0.0.1", "::1"})
LOOPBACK_HOSTS = LOOPBACK_IP_HOSTS | {"localhost"}


def is_acceptable_origin(origin: str, *, http_loopback: bool = True) -> bool:
    """A browser origin as CORS sends it: https (or, when ``http_loopback``, http on a loopback
    host), no path/query. The one origin rule, for registered origins and CORS requests alike."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc or not parts.hostname:
        return False
    if parts.scheme == "http":
        return http_loopback and parts.hostname in LOOPBACK_HOSTS
    return parts.scheme == "https"


# DOT's message (3.4.1, models.py), translated as DOT translates it; DOT gives the error no code.
DOT_MISSING_RSA_KEY_MESSAGE = "You must set OIDC_RSA_PRIVATE_KEY to use RSA algorithm"


def _is_missing_rsa_setting_error(error: ValidationError) -> bool:
    return str(error.message) == str(_(DOT_MISSING_RSA_KEY_MESSAGE))


class Application(AbstractApplication):
    """An OAuth client, with what the portal and the consent page show about it.

    DOT's ``user`` field is the owner: the developer who registered the app. Every extra field
    has a default, so DOT's ``createapplication`` command keeps working.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        # Awaiting an admin's approval (PORTAL_REQUIRE_APPROVAL): works only for its developer.
        PENDING = "pending", _("Pending approval")
        SUSPENDED = "suspended", _("Suspended")

    class Kind(models.TextChoices):
        WEB = "web", _("Web app with a server")
        SPA = "spa", _("Single-page app")
        NATIVE = "native", _("Native or mobile app")
        SERVICE = "service", _("Service (machine to machine)")
        DEVICE = "device", _("TV or command-line tool")

    class Environment(models.TextChoices):
        # Only the developer and the test users they list may sign in (Google's "Testing").
        SANDBOX = "sandbox", _("Sandbox")
        PRODUCTION = "production", _("Production")

    description = models.TextField(blank=True, default="")
    homepage_url = models.URLField(blank=True, default="")
    logo_url = models.URLField(blank=True, default="")
    privacy_policy_url = models.URLField(blank=True, default="")
    terms_url = models.URLField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspension_reason = models.TextField(blank=True, default="")
    # Chosen in the portal; for apps made elsewhere ``clean()`` records ``derived_kind()``.
    kind = models.CharField(max_length=16, choices=Kind.choices, blank=True, default="")
    # Production by default, so apps made by `createapplication` or an admin work for everyone;
    # the portal registers apps in the sandbox (oauth_portal/server/environments.py).
    environment = models.CharField(
        max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )
    production_requested_at = models.DateTimeField(null=True, blank=True)
    client_secret_created_at = models.DateTimeField(null=True, blank=True)
    client_secret_last_used_at = models.DateTimeField(null=True, blank=True)
    playground_enabled = models.BooleanField(
        default=False, help_text="Accept the developer portal's playground as a redirect URI."
    )
    # Counted only once the client has authenticated, so a stranger naming the client id cannot
    # spend it. Empty: PORTAL_RATELIMIT_CLIENT_ENDPOINTS_PER_CLIENT for confidential clients and
    # no limit for public ones (their traffic is their users'); 0: no limit.
    token_requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Token, introspection and revocation requests a minute once the client has "
        "authenticated. Empty: the server default for confidential clients, no limit for "
        "public ones; 0: no limit.",
    )
    # Auth0's strict behaviour: a refresh token only when the user granted ``offline_access``.
    refresh_tokens_need_offline_access = models.BooleanField(
        "Refresh tokens only with offline_access",
        default=False,
        help_text="Issue a refresh token only when the user granted offline_access. Off: "
        "refresh tokens without offline_access end when the user signs out.",
    )
    # OpenID Connect Back-Channel Logout 1.0: where we POST a logout token when a user who
    # signed in to this app signs out here.
    backchannel_logout_uri = models.URLField(
        blank=True,
        default="",
        help_text="OpenID Connect back-channel logout: we POST a signed logout token here when "
        "a user who signed in to this app signs out. https (http only on loopback hosts).",
    )
    backchannel_logout_session_required = models.BooleanField(
        default=False,
        help_text="The app needs the session id (sid) in logout tokens (and ID tokens).",
    )
    # Every sign-in for this app needs a second factor (sign_in_methods.py): the user is
    # stepped up before consent, as if the app had asked with acr_values.
    require_mfa = models.BooleanField(
        default=False,
        verbose_name="require MFA",
        help_text="Users must confirm their sign-in with a second factor (an authenticator "
        "app, a passkey or a recovery code) before this app gets a code.",
    )
    # Empty means "every active scope": an app made by `createapplication` can run the whole
    # flow; the portal and the admin narrow it.
    allowed_scopes = models.ManyToManyField(
        "portal_server.Scope", blank=True, related_name="applications"
    )
    # Scopes the app cannot work without: the consent page shows them without a checkbox.
    # Every other requested scope (but ``openid``) is optional: the user may untick it.
    required_scopes = models.ManyToManyField("portal_server.Scope", blank=True, related_name="+")

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def natural_key(self):
        return (self.client_id,)

    @property
    def owner(self):
        return self.user

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC

    def derived_kind(self) -> str:
        """The kind in a developer's words, from DOT's fields: what ``clean()`` records for an
        app made outside the portal (DOT's ``createapplication``, the admin)."""
        if self.authorization_grant_type == self.GRANT_CLIENT_CREDENTIALS:
            return self.Kind.SERVICE
        if self.authorization_grant_type == self.GRANT_DEVICE_CODE:
            return self.Kind.DEVICE
        if self.is_public:
            return self.Kind.SPA if self.allowed_origins.strip() else self.Kind.NATIVE
        return self.Kind.WEB

    def is_usable(self, request) -> bool:
        """DOT asks this before issuing and before accepting a token: suspended apps get neither.

        A pending app is usable, but only its developer can sign in to it: the authorization
        view refuses every other user, so no one else ever gets a code or token for it.
        """
        return self.status in (self.Status.ACTIVE, self.Status.PENDING)

    def usable_by(self, user) -> bool:
        """Whether ``user`` may sign in to this app (pending apps: only their developer; sandbox
        apps: their developer and the test users listed)."""
        if self.status == self.Status.PENDING:
            return user is not None and user.pk == self.user_id
        if self.status == self.Status.ACTIVE and self.environment == self.Environment.SANDBOX:
            from oauth_portal.server.environments import sandbox_admits

            return sandbox_admits(application=self, user=user)
        return self.status == self.Status.ACTIVE

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Exact string match against the registered URIs (RFC 9700 §4.1.3).

        The one exception is RFC 8252 §7.3: a public (native) client registered with a loopback
        IP redirect may use any port, because the OS picks it at run time. DOT applies that
        exception to every client; we keep it for public clients only.
        """
        registered = self.redirect_uris.split()
        if uri in registered:
            return True
        if not self.is_public:
            return False
        loopback = [
            candidate
            for candidate in registered
            if urlsplit(candidate).scheme == "http"
            and urlsplit(candidate).hostname in LOOPBACK_IP_HOSTS
        ]
        allowed, _reasons = check_redirect_to_uri_allowed(uri, loopback)
        return allowed

    def get_allowed_schemes(self) -> list[str]:
        """https, http (loopback only, checked in clean), and a native app's private-use scheme."""
        schemes = ["https", "http"]
        if self.is_public:
            schemes += [
                urlsplit(uri).scheme
                for uri in self.redirect_uris.split()
                if "." in urlsplit(uri).scheme
            ]
        return schemes

    @property
    def jwk_key(self):
        """The key that signs this app's ID tokens: for RS256 the current key from the database
        (signing_keys.py), not DOT's ``OIDC_RSA_PRIVATE_KEY`` setting, which we leave unset."""
        if self.algorithm == self.RS256_ALGORITHM:
            return jwk_from_pem(signing_keys.current_private_key_pem())
        return super().jwk_key

    def clean(self) -> None:
        if not self.kind:
            self.kind = self.derived_kind()
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        # DOT refuses RS256 when the OIDC_RSA_PRIVATE_KEY setting is empty; ours is always empty
        # because the key lives in the database (jwk_key above), so drop exactly that error.
        if self.algorithm == self.RS256_ALGORITHM and "algorithm" in errors:
            errors["algorithm"] = [
                error for error in errors["algorithm"] if not _is_missing_rsa_setting_error(error)
            ]
            if not errors["algorithm"]:
                del errors["algorithm"]
        plain_http = [
            uri
            for uri in self.redirect_uris.split()
            if urlsplit(uri).scheme == "http" and urlsplit(uri).hostname not in LOOPBACK_HOSTS
        ]
        if plain_http:
            errors.setdefault("redirect_uris", []).append(
                ValidationError(
                    _("Use https; plain http is only allowed for loopback addresses: %(uris)s"),
                    code="insecure_redirect_uri",
                    params={"uris": " ".join(plain_http)},
                )
            )
        logout_uri = urlsplit(self.backchannel_logout_uri)
        if self.backchannel_logout_uri and (
            logout_uri.fragment
            or not (
                logout_uri.scheme == "https"
                or (logout_uri.scheme == "http" and logout_uri.hostname in LOOPBACK_HOSTS)
            )
        ):
            errors.setdefault("backchannel_logout_uri", []).append(
                ValidationError(
                    _("Use https (plain http only on loopback hosts), without a #fragment."),
                    code="insecure_backchannel_logout_uri",
                )
            )
        bad_origins = [
            origin for origin in self.allowed_origins.split() if not is_acceptable_origin(origin)
        ]
        if bad_origins:
            errors.setdefault("allowed_origins", []).append(
                ValidationError(
                    _(
                        "An origin is scheme://host[:port] only (no path), https except for "
                        "loopback hosts: %(origins)s"
                    ),
                    code="invalid_origin",
                    params={"origins": " ".join(bad_origins)},
                )
            )
        if errors:
            raise ValidationError(errors)


class ClientSecret(models.Model):
    """A previous client secret, still accepted until ``expires_at`` after a rotation.

    The current secret is DOT's ``Application.client_secret``; rotating moves its hash here
    with the grace period the developer chose, so both work during the overlap. Only hashes
    are stored.
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="previous_secrets",
    )
    secret_hash = models.CharField(max_length=255)
    created_at = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-rotated_at"]

    def __str__(self):
        return (
            f"Previous secret of {self.application_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"
        )
