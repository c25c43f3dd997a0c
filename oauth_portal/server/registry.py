"""The API and scope registry as every request reads it: from memory, not the database.

Every bearer check asks which API serves the path (for the audience, RFC 8707) and every token
request asks which API owns a scope, in what format its tokens are minted and which custom claims
they carry. The registry is a
handful of rows that an admin changes a few times a year, so each process keeps one snapshot:

- a change saved in this process is seen at once (the snapshot is dropped on save and delete);
- a change saved in another process or on another host is seen within
  ``PORTAL_REGISTRY_CACHE_SECONDS`` (30 s by default, like the signing keys).

Decisions that grant something are never this stale: which scopes an app may be given
(``scopes.ScopeRegistry.get_available_scopes``) and which APIs it may ask a token for
(``audiences.resources_allowed_for``) are read on every token request, or kept only while every
process agrees nothing changed (``client_memo``).
"""

import threading
import time
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save

from oauth_portal.server import app_settings


@dataclass(frozen=True)
class Api:
    identifier: str
    base_path: str
    access_token_format: str

    @property
    def uses_jwt(self) -> bool:
        from oauth_portal.server.models import ApiResource

        return self.access_token_format == ApiResource.TokenFormat.JWT


@dataclass(frozen=True)
class Claim:
    """A custom claim's definition (``CustomClaim``), as tokens read it."""

    key: str
    source: str
    attribute: str
    api_identifier: str | None
    in_id_token: bool


@dataclass(frozen=True)
class Snapshot:
    apis: tuple[Api, ...]
    api_of_scope: dict[str, str]  # scope name -> API identifier (OIDC scopes have none)
    scope_descriptions: dict[str, str]  # active scopes only
    custom_claims: tuple[Claim, ...] = ()
    # API identifier -> its operations' rules (``operation_scopes``), most literal first.
    operations: dict = field(default_factory=dict)


_lock = threading.Lock()
_state: dict = {"snapshot": None, "expires": 0.0}


def _read() -> Snapshot:
    from oauth_portal.server import operation_scopes
    from oauth_portal.server.models import ApiOperation, ApiResource, CustomClaim, Scope
    from oauth_portal.server.publishing import GRANTABLE_SCOPES

    apis = tuple(
        Api(identifier=identifier, base_path=base_path, access_token_format=token_format)
        for identifier, base_path, token_format in ApiResource.objects.values_list(
            "identifier", "base_path", "access_token_format"
        )
    )
    api_of_scope, descriptions = {}, {}
    for name, description, api_identifier in Scope.objects.filter(GRANTABLE_SCOPES).values_list(
        "name", "description", "api__identifier"
    ):
        descriptions[name] = description
        if api_identifier:
            api_of_scope[name] = api_identifier
    claims = tuple(
        Claim(*row)
        for row in CustomClaim.objects.values_list(
            "key", "source", "attribute", "api__identifier", "in_id_token"
        )
    )
    operations = operation_scopes.rules_from_rows(
        ApiOperation.objects.values_list("api__identifier", "method", "path", "scope__name")
    )
    return Snapshot(
        apis=apis,
        api_of_scope=api_of_scope,
        scope_descriptions=descriptions,
        custom_claims=claims,
        operations=operations,
    )


def snapshot() -> Snapshot:
    with _lock:
        if _state["snapshot"] is not None and time.monotonic() < _state["expires"]:
            return _state["snapshot"]
    fresh = _read()
    with _lock:
        _state.update(
            snapshot=fresh, expires=time.monotonic() + app_settings.PORTAL_REGISTRY_CACHE_SECONDS
        )
    return fresh


def forget(**_kwargs) -> None:
    """Drop this process's snapshot (a registry row was saved or deleted, or a test ended)."""
    with _lock:
        _state.update(snapshot=None, expires=0.0)


def api_serving(path: str) -> Api | None:
    """The API whose ``base_path`` is the longest prefix of ``path``."""
    candidates = [
        api for api in snapshot().apis if api.base_path and path.startswith(api.base_path)
    ]
    return max(candidates, key=lambda api: len(api.base_path), default=None)


def apis_named(identifiers) -> list[Api]:
    by_identifier = {api.identifier: api for api in snapshot().apis}
    return [by_identifier[identifier] for identifier in identifiers if identifier in by_identifier]


def api_identifiers_owning(scopes) -> list[str]:
    """The APIs the given scopes belong to, in a stable order (OIDC scopes belong to none)."""
    owners = snapshot().api_of_scope
    return sorted({owners[scope] for scope in scopes if scope in owners})


def connect() -> None:
    from oauth_portal.server.models import ApiOperation, ApiResource, CustomClaim, Scope

    for model in (ApiResource, Scope, CustomClaim, ApiOperation):
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=model, dispatch_uid=f"registry-forget-{model.__name__}")
