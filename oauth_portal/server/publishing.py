"""APIs registered by their own teams (Azure's "Expose an API"), and the rules around them.

An API publisher (a user holding ``portal_server.publish_api``, which the "API publishers"
group grants) registers an API in the developer portal. It starts *pending*: its scopes are
not offered to developers and cannot be granted (``GRANTABLE_SCOPES``), and the catalogue does
not list it, until an admin publishes it. A publisher manages only the APIs they own; admins
(users who may change APIs in the admin) see and manage all.

What a publisher may not set is left to admins on purpose: the API's ``base_path`` on this
server (it decides which paths a token's audience is checked against, so a publisher could
otherwise claim another API's paths), its token format and its resource servers.

Every change is recorded: API_CHANGED (submitted, published, changed, operation added or
removed) and SCOPE_CHANGED (through ``api_catalogue``: created, enabled, disabled, deleted).
"""

from django.db import transaction
from django.db.models import Q, QuerySet

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import api_catalogue
from oauth_portal.server.models import ApiOperation, ApiResource, Scope

PUBLISH_PERMISSION = "portal_server.publish_api"
PUBLISHERS_GROUP = "API publishers"

# Scopes a token may carry: active, and of no API (OpenID Connect) or of a published API.
GRANTABLE_SCOPES = Q(is_active=True) & (
    Q(api__isnull=True) | Q(api__status=ApiResource.Status.PUBLISHED)
)


def is_publisher(user) -> bool:
    """May ``user`` register APIs in the portal (a publisher, or an admin of the registry)?"""
    return user.is_authenticated and (user.has_perm(PUBLISH_PERMISSION) or is_registry_admin(user))


def is_registry_admin(user) -> bool:
    return user.is_active and user.has_perm("portal_server.change_apiresource")


def apis_for_publisher(*, user) -> QuerySet:
    """The APIs ``user`` manages in the portal: their own; every API for a registry admin."""
    apis = ApiResource.objects.prefetch_related("scopes", "operations__scope")
    if is_registry_admin(user):
        return apis.all()
    if not user.has_perm(PUBLISH_PERMISSION):
        return apis.none()
    return apis.filter(owner=user)


def _api_record(*, api: ApiResource, actor, action: str, request=None, **details) -> None:
    AuditEvent.objects.record(
        event=AuditEvent.Type.API_CHANGED,
        request=request,
        actor=actor,
        api=api.name,
        identifier=api.identifier,
        action=action,
        **details,
    )


@transaction.atomic
def api_submit(
    *,
    owner,
    name: str,
    identifier: str,
    description: str,
    scope_name: str,
    scope_description: str,
    request=None,
) -> ApiResource:
    """Register an API with its first scope, pending an admin's approval."""
    api = ApiResource(
        name=name,
        identifier=identifier,
        description=description,
        owner=owner,
        status=ApiResource.Status.PENDING,
    )
    api.full_clean()
    api.save()
    _api_record(api=api, actor=owner, action="submitted", request=request)
    scope_add(api=api, actor=owner, name=scope_name, description=scope_description, request=request)
    return api


@transaction.atomic
def api_publish(*, api: ApiResource, actor, request=None) -> bool:
    """Publish a pending API: it joins the catalogue and its scopes can be granted. Returns
    whether it changed."""
    locked = ApiResource.objects.select_for_update().get(pk=api.pk)
    if locked.status == ApiResource.Status.PUBLISHED:
        return False
    locked.status = api.status = ApiResource.Status.PUBLISHED
    locked.save(update_fields=["status"])
    _api_record(api=locked, actor=actor, action="published", request=request)
    return True


@transaction.atomic
def api_details_change(*, api: ApiResource, actor, name: str, description: str, request=None):
    """Rename or re-describe an API. The identifier stays: tokens and clients name it."""
    changed = [
        field
        for field, value in (("name", name), ("description", description))
        if getattr(api, field) != value
    ]
    if not changed:
        return api
    api.name, api.description = name, description
    api.full_clean()
    api.save(update_fields=changed)
    _api_record(api=api, actor=actor, action="changed", fields=changed, request=request)
    return api


def scope_add(*, api: ApiResource, actor, name: str, description: str, request=None) -> Scope:
    """Give ``api`` a new scope (recorded as SCOPE_CHANGED "created")."""
    scope = Scope(api=api, name=name, description=description)
    return api_catalogue.scope_save(
        scope=scope, actor=actor, changed=["name", "description"], request=request
    )


@transaction.atomic
def operation_save(*, operation: ApiOperation, actor, request=None) -> ApiOperation:
    """Add or change an operation; the scope must be one of the API's own."""
    created = operation.pk is None
    operation.full_clean()
    operation.save()
    _api_record(
        api=operation.api,
        actor=actor,
        action="operation added" if created else "operation changed",
        operation=str(operation),
        scope=operation.scope.name,
        request=request,
    )
    return operation


@transaction.atomic
def operation_delete(*, operation: ApiOperation, actor, request=None) -> None:
    """Remove an operation: the API then refuses that method and path (deny by default)."""
    _api_record(
        api=operation.api,
        actor=actor,
        action="operation removed",
        operation=str(operation),
        request=request,
    )
    operation.delete()
