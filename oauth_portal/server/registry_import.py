"""Read a ``registry_export`` document into this server: create or update every API, scope,
operation, role, custom claim and client by natural key, in one transaction.

Decisions, as Keycloak's partial import and Auth0's deploy CLI take them:
- Nothing is deleted: a row missing from the document stays (an import is not a sync).
- An existing client keeps its secret. A confidential client the import creates gets a fresh
  secret, stored hashed and returned once; the operator hands it over or rotates it later.
- An owner whose username does not exist here is reported and the row gets no owner (strict:
  the whole import fails). Users are never created by an import.
- Any invalid row (a redirect URI, a scope of another API) fails the whole import and names it.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import registry
from oauth_portal.server.models import (
    ApiOperation,
    ApiResource,
    Application,
    CustomClaim,
    Role,
    Scope,
)
from oauth_portal.server.registry_export import (
    API_FIELDS,
    CLAIM_FIELDS,
    CLIENT_FIELDS,
    FORMAT,
    OPERATION_FIELDS,
    ROLE_FIELDS,
    SCOPE_FIELDS,
    VERSION,
)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
KINDS = ("apis", "scopes", "operations", "roles", "custom_claims", "clients")


class RegistryImportError(Exception):
    """The document cannot be imported; nothing was changed."""


@dataclass
class ImportReport:
    """What an import did: outcomes per kind, owners not found, and new clients' secrets
    (plain text, for the operator to see once; never stored or logged)."""

    outcomes: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in KINDS})
    changed_clients: dict[str, list[str]] = field(
        default_factory=lambda: {CREATED: [], UPDATED: []}
    )
    missing_owners: list[str] = field(default_factory=list)
    new_secrets: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def summary(self) -> dict[str, dict[str, int]]:
        return {
            kind: {outcome: counts[outcome] for outcome in (CREATED, UPDATED, UNCHANGED)}
            for kind, counts in self.outcomes.items()
        }


class _Importer:
    def __init__(self, *, report: ImportReport, strict: bool, create_secrets: bool):
        self.report = report
        self.strict = strict
        self.create_secrets = create_secrets
        self.scopes: dict[str, Scope] = {}

    def upsert(self, kind: str, label: str, model, lookup: dict, values: dict, m2m=None):
        """Create or update one row by ``lookup`` and count the outcome; ``values`` use
        attnames (``api_id``), ``m2m`` the related rows a many-to-many field must hold."""
        instance = model.objects.filter(**lookup).first()
        created = instance is None
        instance = instance or model(**lookup)
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        for name in changed:
            setattr(instance, name, values[name])
        if created and kind == "clients":
            self.new_client_secret(instance)
        if created or changed:
            self.save(instance, kind, label)
        for name, wanted in (m2m or {}).items():
            related = getattr(instance, name)
            if created or set(related.values_list("pk", flat=True)) != {o.pk for o in wanted}:
                related.set(wanted)
                changed.append(name)
        outcome = CREATED if created else UPDATED if changed else UNCHANGED
        if kind != "apis":  # counted once their resource servers are set, last
            self.report.outcomes[kind][outcome] += 1
        return instance, outcome, changed

    def save(self, instance, kind: str, label: str) -> None:
        try:
            instance.full_clean()
        except ValidationError as error:
            raise RegistryImportError(f"{kind} {label}: {_messages(error)}") from error
        instance.save()

    def new_client_secret(self, client: Application) -> None:
        if client.client_type != Application.CLIENT_CONFIDENTIAL:
            return
        # Without --no-secrets nobody learns this one: the client must rotate before use.
        secret = generate_client_secret()
        client.client_secret = secret
        client.client_secret_created_at = timezone.now()
        if self.create_secrets:
            self.report.new_secrets[client.client_id] = secret

    def owner_id(self, username: str | None, where: str) -> int | None:
        if username is None:
            return None
        user_model = get_user_model()
        found = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username})
        owner_id = found.values_list("pk", flat=True).first()
        if owner_id is None:
            message = f"{where}: no user {username!r} here, imported without an owner"
            if self.strict:
                raise RegistryImportError(message.replace(", imported without an owner", ""))
            self.report.missing_owners.append(message)
        return owner_id

    def scope_named(self, name: str, where: str) -> Scope:
        if name not in self.scopes:
            scope = Scope.objects.filter(name=name).first()
            if scope is None:
                raise RegistryImportError(f"{where}: no scope {name!r} here or in the document")
            self.scopes[name] = scope
        return self.scopes[name]

    def scope(self, document: dict, api: ApiResource | None) -> None:
        values = {**_pick(document, SCOPE_FIELDS[1:]), "api_id": api.pk if api else None}
        name = document["name"]
        self.scopes[name], *_ = self.upsert("scopes", name, Scope, {"name": name}, values)

    def claim(self, document: dict, api: ApiResource | None) -> None:
        lookup = {"key": document["key"], "api": api}
        if api is None:
            lookup["in_id_token"] = True
        values = _pick(document, CLAIM_FIELDS[1:])
        self.upsert("custom_claims", document["key"], CustomClaim, lookup, values)

    def api(self, document: dict) -> tuple[ApiResource, str]:
        identifier = document["identifier"]
        values = {
            **_pick(document, API_FIELDS[1:]),
            "owner_id": self.owner_id(document.get("owner"), f"API {identifier}"),
        }
        lookup = {"identifier": identifier}
        api, outcome, _changed = self.upsert("apis", identifier, ApiResource, lookup, values)
        for scope in document.get("scopes", []):
            self.scope(scope, api)
        for operation in document.get("operations", []):
            where = f"operation {operation['method']} {operation['path']} of {identifier}"
            lookup = {"api": api, "method": operation["method"], "path": operation["path"]}
            values = {
                **_pick(operation, OPERATION_FIELDS[2:]),
                "scope_id": self.scope_named(operation["scope"], where).pk,
            }
            self.upsert("operations", where, ApiOperation, lookup, values)
        for role in document.get("roles", []):
            where = f"role {role['name']} of {identifier}"
            scopes = [self.scope_named(name, where) for name in role.get("scopes", [])]
            values = _pick(role, ROLE_FIELDS[1:])
            lookup = {"api": api, "name": role["name"]}
            self.upsert("roles", where, Role, lookup, values, m2m={"scopes": scopes})
        for claim in document.get("custom_claims", []):
            self.claim(claim, api)
        return api, outcome

    def client(self, document: dict) -> None:
        client_id = document["client_id"]
        where = f"client {client_id}"
        values = {
            **_pick(document, CLIENT_FIELDS[1:]),
            "user_id": self.owner_id(document.get("owner"), where),
        }
        m2m = {
            name: [self.scope_named(scope, where) for scope in document.get(name, [])]
            for name in ("allowed_scopes", "required_scopes")
        }
        lookup = {"client_id": client_id}
        client, outcome, changed = self.upsert(
            "clients", client_id, Application, lookup, values, m2m
        )
        if outcome != UNCHANGED:
            self.report.changed_clients[outcome].append(client_id)
            AuditEvent.objects.record(
                event=AuditEvent.Type.CLIENT_CREATED
                if outcome == CREATED
                else AuditEvent.Type.CLIENT_CHANGED,
                application=client,
                via="registry_import",
                fields=sorted(changed),
            )

    def resource_servers(self, api: ApiResource, outcome: str, client_ids: list[str]) -> None:
        clients = list(Application.objects.filter(client_id__in=client_ids))
        unknown = set(client_ids) - {client.client_id for client in clients}
        if unknown:
            raise RegistryImportError(
                f"API {api.identifier}: resource server {sorted(unknown)[0]!r} is no client here"
            )
        current = set(api.resource_servers.values_list("pk", flat=True))
        if current != {client.pk for client in clients}:
            api.resource_servers.set(clients)
            outcome = UPDATED if outcome == UNCHANGED else outcome
        self.report.outcomes["apis"][outcome] += 1


def _pick(document: dict, names) -> dict:
    return {name: document[name] for name in names if name in document}


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items())
    return " ".join(error.messages)


def _check_format(document) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RegistryImportError(f"Not a registry export (expected format {FORMAT!r}).")
    if document.get("version") != VERSION:
        raise RegistryImportError(
            f"Export version {document.get('version')!r}; this server reads version {VERSION}."
        )


def registry_import(
    *,
    document: dict,
    actor=None,
    dry_run: bool = False,
    strict: bool = False,
    create_secrets: bool = True,
) -> ImportReport:
    """Create or update everything ``document`` describes, all or nothing; with ``dry_run`` the
    report says what would change and the transaction is rolled back (no secrets are returned).
    Raises ``RegistryImportError`` naming the first row that cannot be imported."""
    _check_format(document)
    report = ImportReport(dry_run=dry_run)
    importer = _Importer(
        report=report, strict=strict, create_secrets=create_secrets and not dry_run
    )
    try:
        with transaction.atomic():
            _import_all(importer, document)
            AuditEvent.objects.record_admin_action(
                actor=actor,
                action="registry_imported",
                summary=report.summary(),
                clients_created=report.changed_clients[CREATED],
                clients_updated=report.changed_clients[UPDATED],
                missing_owners=report.missing_owners,
            )
            if dry_run:
                transaction.set_rollback(True)
    except (KeyError, TypeError, AttributeError) as error:
        message = f"Malformed document: {error!r} missing or of the wrong type."
        raise RegistryImportError(message) from error
    # Resource servers and role scopes are many-to-many: no save signal drops the snapshot.
    registry.forget()
    if dry_run:
        report.new_secrets.clear()
    return report


def _import_all(importer: _Importer, document: dict) -> None:
    for scope in document.get("scopes", []):
        importer.scope(scope, None)
    apis = [
        (*importer.api(api_document), api_document.get("resource_servers", []))
        for api_document in document.get("apis", [])
    ]
    for claim in document.get("id_token_claims", []):
        importer.claim(claim, None)
    for client in document.get("clients", []):
        importer.client(client)
    # Last: a resource server is a client, which may have just been created.
    for api, outcome, client_ids in apis:
        importer.resource_servers(api, outcome, client_ids)
