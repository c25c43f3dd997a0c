"""The registry as a JSON document an operator moves between environments (staging to
production): every API with its scopes, operations, roles and custom claims, the scopes that
belong to no API, and the clients. ``registry_import`` reads the same document back.

Never in it: client secrets or their hashes, tokens, signing keys, consents, role assignments
(those are users' data, not configuration) and ids (rows are matched by natural key: an API's
identifier, a scope's name, a client's client_id). Owners travel as usernames. Clients cached
from a client ID metadata document are left out: the target fetches the document itself.
"""

from django.contrib.auth import get_user_model

from oauth_portal.server.models import ApiResource, Application, CustomClaim, Scope

FORMAT = "oauth-portal-registry"
VERSION = 1

API_FIELDS = (
    "identifier",
    "name",
    "description",
    "base_path",
    "access_token_format",
    "status",
    "enforce_roles",
    "subscription_requires_approval",
)
SCOPE_FIELDS = ("name", "description", "is_active")
OPERATION_FIELDS = ("method", "path", "summary")
ROLE_FIELDS = ("name", "description")
CLAIM_FIELDS = ("key", "source", "attribute", "in_id_token")
CLIENT_FIELDS = (
    "client_id",
    "name",
    "client_type",
    "authorization_grant_type",
    "redirect_uris",
    "post_logout_redirect_uris",
    "allowed_origins",
    "algorithm",
    "skip_authorization",
    "kind",
    "status",
    "suspension_reason",
    "description",
    "homepage_url",
    "logo_url",
    "privacy_policy_url",
    "terms_url",
    "playground_enabled",
    "token_requests_per_minute",
    "registration_source",
    "environment",
    "refresh_tokens_need_offline_access",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
)


def _fields(instance, names) -> dict:
    return {name: getattr(instance, name) for name in names}


def _username(user) -> str | None:
    return None if user is None else getattr(user, get_user_model().USERNAME_FIELD)


def _names(related) -> list[str]:
    return sorted(item.name for item in related.all())


def _api_document(api: ApiResource) -> dict:
    return {
        **_fields(api, API_FIELDS),
        "owner": _username(api.owner),
        "resource_servers": sorted(client.client_id for client in api.resource_servers.all()),
        "scopes": [_fields(scope, SCOPE_FIELDS) for scope in api.scopes.order_by("name")],
        "operations": [
            {**_fields(operation, OPERATION_FIELDS), "scope": operation.scope.name}
            for operation in api.operations.select_related("scope").order_by("path", "method")
        ],
        "roles": [
            {**_fields(role, ROLE_FIELDS), "scopes": _names(role.scopes)}
            for role in api.roles.prefetch_related("scopes").order_by("name")
        ],
        "custom_claims": [
            _fields(claim, CLAIM_FIELDS) for claim in api.custom_claims.order_by("key")
        ],
    }


def _client_document(client: Application) -> dict:
    return {
        **_fields(client, CLIENT_FIELDS),
        "owner": _username(client.user),
        "allowed_scopes": _names(client.allowed_scopes),
        "required_scopes": _names(client.required_scopes),
    }


def registry_export() -> dict:
    """The whole registry as a JSON-ready dict, in a stable order (two exports of the same
    state are identical, so they diff cleanly)."""
    apis = ApiResource.objects.select_related("owner").prefetch_related("resource_servers")
    clients = (
        Application.objects.exclude(registration_source=Application.RegistrationSource.CIMD)
        .select_related("user")
        .prefetch_related("allowed_scopes", "required_scopes")
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "apis": [_api_document(api) for api in apis.order_by("identifier")],
        "scopes": [
            _fields(scope, SCOPE_FIELDS)
            for scope in Scope.objects.filter(api=None).order_by("name")
        ],
        "id_token_claims": [
            _fields(claim, CLAIM_FIELDS)
            for claim in CustomClaim.objects.filter(api=None).order_by("key")
        ],
        "clients": [_client_document(client) for client in clients.order_by("client_id")],
    }
