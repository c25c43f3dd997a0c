"""RFC 7591 client metadata: read into the fields of our Application, and written back out.

A self-registered client obeys the rules a portal client does: redirect URIs by the same rules
(``redirect_uri_rules``), the authorization code grant with PKCE or client credentials only, and
only the scopes it names (an unknown or disabled scope is refused). Unknown metadata is ignored
(RFC 7591 §2); metadata we cannot honour is refused with ``invalid_client_metadata`` or
``invalid_redirect_uri`` rather than silently changed.
"""

from dataclasses import dataclass, field

from oauth_portal.server.models import Application, Scope
from oauth_portal.server.redirect_uri_rules import origin_problem, redirect_uri_problem

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
# Longest lists and strings we read: a registration is small; anything bigger is refused.
MAX_LIST_ITEMS = 20
MAX_STRING_LENGTH = 2000
URL_FIELDS = {
    "client_uri": "homepage_url",
    "logo_uri": "logo_url",
    "policy_uri": "privacy_policy_url",
    "tos_uri": "terms_url",
}


class MetadataRefused(Exception):
    """The registration cannot be accepted as sent; ``error`` is the RFC 7591 §3.2.2 code."""

    def __init__(self, description: str, *, error: str = "invalid_client_metadata"):
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class ClientRegistration:
    """What a registration request asks for, checked and in our model's terms."""

    fields: dict
    scopes: list = field(default_factory=list)


def _acceptable_string(value) -> bool:
    # No NUL: PostgreSQL cannot store one.
    return isinstance(value, str) and len(value) <= MAX_STRING_LENGTH and "\x00" not in value


def _string(metadata: dict, name: str, default: str = "") -> str:
    value = metadata.get(name, default)
    if value is None:
        return default
    if not _acceptable_string(value):
        raise MetadataRefused(f"{name} must be a string of at most {MAX_STRING_LENGTH} characters.")
    return value


def _string_list(metadata: dict, name: str, default=()) -> list[str]:
    value = metadata.get(name, list(default))
    if value is None:
        return list(default)
    if (
        not isinstance(value, list)
        or len(value) > MAX_LIST_ITEMS
        or not all(_acceptable_string(item) for item in value)
    ):
        raise MetadataRefused(f"{name} must be an array of at most {MAX_LIST_ITEMS} strings.")
    return list(dict.fromkeys(value))


def _grant(metadata: dict, auth_method: str) -> str:
    """Our one grant per client: the authorization code (refresh tokens come with it) or client
    credentials. The implicit and password grants are refused (RFC 9700)."""
    grant_types = set(_string_list(metadata, "grant_types", ["authorization_code"]))
    response_types = set(_string_list(metadata, "response_types", []))
    if grant_types <= {"authorization_code", "refresh_token"} and "authorization_code" in (
        grant_types
    ):
        if response_types - {"code"}:
            raise MetadataRefused('response_types may only be ["code"].')
        return Application.GRANT_AUTHORIZATION_CODE
    if grant_types == {"client_credentials"}:
        if auth_method == "none":
            raise MetadataRefused('client_credentials needs a client secret, not "none".')
        if response_types:
            raise MetadataRefused("A client_credentials client has no response_types.")
        return Application.GRANT_CLIENT_CREDENTIALS
    raise MetadataRefused(
        'grant_types may be ["authorization_code", "refresh_token"] (with PKCE) or '
        '["client_credentials"]; the implicit and password grants are not offered.'
    )


def _kind(*, grant: str, auth_method: str, application_type: str) -> str:
    if grant == Application.GRANT_CLIENT_CREDENTIALS:
        return Application.Kind.SERVICE
    if auth_method != "none":
        return Application.Kind.WEB
    return Application.Kind.NATIVE if application_type == "native" else Application.Kind.SPA


def _checked_uris(uris: list[str], *, kind: str, name: str) -> list[str]:
    for uri in uris:
        problem = redirect_uri_problem(uri, kind=kind)
        if problem is not None:
            raise MetadataRefused(
                f"{name}: " + " ".join(problem.messages), error="invalid_redirect_uri"
            )
    return uris


def _scopes(metadata: dict) -> list:
    """The scopes named in ``scope``, all known and active; without it, the OpenID Connect
    scopes only (an API's scopes must be asked for by name)."""
    # An app with no allowed scopes may ask for every scope (createapplication's default): a
    # registration must therefore always end with at least one.
    if metadata.get("scope") is None:
        scopes = list(Scope.objects.filter(api__isnull=True, is_active=True))
        if not scopes:
            raise MetadataRefused("Name the scopes this client needs in scope.")
        return scopes
    names = list(dict.fromkeys(_string(metadata, "scope").split()))
    if not names:
        raise MetadataRefused("scope must name at least one scope.")
    found = {scope.name: scope for scope in Scope.objects.filter(name__in=names, is_active=True)}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise MetadataRefused("Unknown scope: " + " ".join(unknown))
    return [found[name] for name in names]


def registration_from_metadata(metadata) -> ClientRegistration:
    """Check RFC 7591 metadata and turn it into Application fields and allowed scopes."""
    if not isinstance(metadata, dict):
        raise MetadataRefused("The request body must be a JSON object.")
    auth_method = _string(metadata, "token_endpoint_auth_method", "client_secret_basic")
    if auth_method not in AUTH_METHODS:
        raise MetadataRefused(
            "token_endpoint_auth_method must be one of " + ", ".join(AUTH_METHODS)
        )
    application_type = _string(metadata, "application_type", "web")
    if application_type not in ("web", "native"):
        raise MetadataRefused('application_type must be "web" or "native".')
    if _string(metadata, "id_token_signed_response_alg", "RS256") != "RS256":
        raise MetadataRefused("ID tokens are signed with RS256 only.")
    grant = _grant(metadata, auth_method)
    kind = _kind(grant=grant, auth_method=auth_method, application_type=application_type)
    redirect_uris = _string_list(metadata, "redirect_uris")
    if grant == Application.GRANT_AUTHORIZATION_CODE and not redirect_uris:
        raise MetadataRefused("redirect_uris is required.", error="invalid_redirect_uri")
    if grant == Application.GRANT_CLIENT_CREDENTIALS and redirect_uris:
        raise MetadataRefused("A client_credentials client has no redirect_uris.")
    fields = {
        "name": _string(metadata, "client_name")[:255] or "Unnamed app",
        "kind": kind,
        "client_type": Application.CLIENT_PUBLIC
        if auth_method == "none"
        else Application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": grant,
        "algorithm": Application.RS256_ALGORITHM,
        "redirect_uris": " ".join(_checked_uris(redirect_uris, kind=kind, name="redirect_uris")),
        "post_logout_redirect_uris": " ".join(
            _checked_uris(
                _string_list(metadata, "post_logout_redirect_uris"),
                kind=kind,
                name="post_logout_redirect_uris",
            )
        ),
        "allowed_origins": " ".join(_origins(metadata, kind=kind)),
    }
    for name, model_field in URL_FIELDS.items():
        fields[model_field] = _string(metadata, name)
    return ClientRegistration(fields=fields, scopes=_scopes(metadata))


def _origins(metadata: dict, *, kind: str) -> list[str]:
    """``allowed_origins`` (DOT's field, an extension here): the browser origins a single-page
    app calls the token endpoint from, by the CORS origin rules."""
    origins = _string_list(metadata, "allowed_origins")
    if origins and kind != Application.Kind.SPA:
        raise MetadataRefused(
            "allowed_origins is for browser apps (token_endpoint_auth_method none)."
        )
    for origin in origins:
        problem = origin_problem(origin)
        if problem is not None:
            raise MetadataRefused("allowed_origins: " + " ".join(problem.messages))
    return origins


def metadata_of(application: Application) -> dict:
    """The registered metadata as RFC 7591 §3.2.1 returns it (no secrets or tokens)."""
    is_code = application.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    document = {
        "client_id": application.client_id,
        "client_id_issued_at": int(application.created.timestamp()),
        "client_name": application.name,
        "token_endpoint_auth_method": "none" if application.is_public else "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"]
        if is_code
        else ["client_credentials"],
        "response_types": ["code"] if is_code else [],
        "application_type": "native" if application.kind == Application.Kind.NATIVE else "web",
        "redirect_uris": application.redirect_uris.split(),
        "scope": " ".join(
            application.allowed_scopes.order_by("name").values_list("name", flat=True)
        ),
    }
    if not application.is_public:
        document["client_secret_expires_at"] = 0  # secrets do not expire; they are rotated
    if application.post_logout_redirect_uris.strip():
        document["post_logout_redirect_uris"] = application.post_logout_redirect_uris.split()
    if application.allowed_origins.strip():
        document["allowed_origins"] = application.allowed_origins.split()
    for name, model_field in URL_FIELDS.items():
        if getattr(application, model_field):
            document[name] = getattr(application, model_field)
    return document
