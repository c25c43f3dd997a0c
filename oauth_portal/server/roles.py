"""Roles and permissions per API (Auth0's RBAC): defining roles, assigning them, and what a
token for an API then carries.

A role is a named set of one API's scopes, its permissions. A token for an API carries:

- ``permissions``: the permissions of the user's roles for that API, intersected with the
  scopes the token was granted (a permission the client was not granted is not the client's to
  use, whatever the user may do);
- ``roles``: the names of the user's roles for that API.

Decisions, as Auth0 and Keycloak take them:

- A token for no API (``openid profile`` alone) carries neither claim. A token for several APIs
  carries the union of their ``permissions`` (scope names are unique across APIs, so each names
  its API unambiguously) but no ``roles``: a role name means something only inside its API, and
  "admin" of one API must never read as "admin" of another.
- A client-credentials token has no user, so neither claim: services are authorized by the
  scopes their client is allowed, as Auth0 grants machine-to-machine access.
- ``ApiResource.enforce_roles`` (Auth0's "Enable RBAC"): when on, a user is issued only the
  scopes of that API that their roles permit; the others are dropped silently, as RFC 6749 §3.3
  allows, and the token response's ``scope`` says what was issued. This is checked again at
  every refresh, so a removed role stops renewing its scopes. When off, roles are claims only:
  the API decides (``apis.permissions.RequirePermission``).
- JWT access tokens hold the claims as they were at issue, until they expire (short-lived, as
  Auth0's); introspection and the APIs' permission check for opaque tokens read the roles as
  they are now, so a removed role takes effect at once there.

Every change (assigning, removing, a role's permissions) is recorded in the audit log. The
services do not check who may act: the admin does that by its permissions, and a portal page
for API publishers must check the actor may manage the role's API before calling them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Subquery, Value, When

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_queries
from oauth_portal.server.models import ApiResource, Role, RoleAssignment, Scope


def _role_record(*, event, role: Role, actor, request=None, user=None, **details) -> None:
    AuditEvent.objects.record(
        event=event,
        request=request,
        actor=actor,
        user=user,
        role=role.name,
        api=role.api.identifier,
        **details,
    )


@transaction.atomic
def role_assign(*, role: Role, user, actor, request=None) -> RoleAssignment:
    """Give ``user`` the role (once: assigning a held role again changes and records nothing)."""
    assignment, created = RoleAssignment.objects.get_or_create(
        role=role, user=user, defaults={"assigned_by": actor if actor and actor.pk else None}
    )
    if created:
        _role_record(
            event=AuditEvent.Type.ROLE_ASSIGNED, role=role, actor=actor, request=request, user=user
        )
    return assignment


@transaction.atomic
def role_unassign(*, role: Role, user, actor, request=None) -> bool:
    """Take the role from ``user``; whether they held it."""
    deleted, _ = RoleAssignment.objects.filter(role=role, user=user).delete()
    if deleted:
        _role_record(
            event=AuditEvent.Type.ROLE_UNASSIGNED,
            role=role,
            actor=actor,
            request=request,
            user=user,
        )
    return bool(deleted)


def role_scopes_check(*, api: ApiResource, scopes) -> None:
    """A role's permissions are its own API's scopes: another API's scope is refused."""
    foreign = sorted(scope.name for scope in scopes if scope.api_id != api.pk)
    if foreign:
        raise ValidationError(
            "%(scopes)s are not scopes of %(api)s: a role may hold only its API's scopes.",
            code="scope_of_another_api",
            params={"scopes": ", ".join(foreign), "api": api.name},
        )


@transaction.atomic
def role_save(*, role: Role, scopes, actor, request=None) -> Role:
    """Create or change a role and set its permissions (recorded with the permissions now)."""
    created = role.pk is None
    role_scopes_check(api=role.api, scopes=scopes)
    role.full_clean()
    role.save()
    role.scopes.set(scopes)
    _role_record(
        event=AuditEvent.Type.ROLE_CHANGED,
        role=role,
        actor=actor,
        request=request,
        action="created" if created else "changed",
        permissions=sorted(scope.name for scope in scopes),
    )
    return role


@transaction.atomic
def role_delete(*, role: Role, actor, request=None) -> None:
    """Delete a role; its holders lose it (recorded once, with how many held it)."""
    _role_record(
        event=AuditEvent.Type.ROLE_CHANGED,
        role=role,
        actor=actor,
        request=request,
        action="deleted",
        holders=role.assignments.count(),
    )
    role.delete()


# --- What tokens carry ---------------------------------------------------------------------------


def withheld_by_roles(user):
    """A ``Scope`` annotation: true for a scope of an ``enforce_roles`` API that no role of
    ``user`` (a user or its id) permits (the rule of ``scopes_permitted_by_roles``), so a
    query that reads the scopes anyway answers it without a round trip of its own."""
    permitted = RoleAssignment.objects.filter(user=user, role__scopes=OuterRef("pk"))
    return Case(
        When(Q(api__enforce_roles=True) & ~Exists(permitted), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def scopes_permitted_by_roles(*, user, scopes: list[str]) -> list[str]:
    """``scopes`` without those of ``enforce_roles`` APIs that no role of ``user`` permits.

    One query. No user (client credentials) keeps every scope: RBAC is about people.
    """
    if user is None or not scopes:
        return list(scopes)
    withheld = set(
        Scope.objects.filter(name__in=scopes, api__enforce_roles=True)
        .exclude(roles__assignments__user=user)
        .values_list("name", flat=True)
    )
    return [scope for scope in scopes if scope not in withheld]


def role_claims(*, user_id, audiences: list[str], scopes: list[str]) -> dict:
    """The ``permissions`` and ``roles`` claims of a token for ``audiences`` (see the module
    docstring); empty for a token with no user or for no API. One query, compiled once per
    process (``compiled_queries``), read fresh."""
    if user_id is None or not audiences:
        return {}
    rows = compiled_queries.rows("user-roles", _user_role_rows, user_id=user_id)
    return role_claims_from(rows, audiences=audiences, scopes=scopes)


def token_user_roles_read(token_checksum: str) -> compiled_queries.Read:
    """The rows ``role_claims`` reads, for the user of the access token stored as
    ``token_checksum``: a read that needs no answer from another (``compiled_queries``), so
    introspection sends it with the token's own. ``role_claims_from`` makes the claims."""
    return compiled_queries.Read(
        "rows", "token-user-roles", _token_user_role_rows, {"checksum": token_checksum}
    )


def role_claims_from(rows, *, audiences: list[str], scopes: list[str]) -> dict:
    """The claims from a user's roles on every API (API, role, permission rows), for a token
    for ``audiences`` granted ``scopes``."""
    if not audiences:
        return {}
    wanted, granted = set(audiences), set(scopes)
    rows = [(name, scope) for api, name, scope in rows if api in wanted]
    claims = {"permissions": sorted({scope for _, scope in rows if scope in granted})}
    if len(audiences) == 1:
        claims["roles"] = sorted({name for name, _ in rows})
    return claims


def _user_role_rows(*, user_id: int):
    return _with_permissions(RoleAssignment.objects.filter(user_id=user_id))


def _token_user_role_rows(*, checksum: str):
    from oauth2_provider.models import get_access_token_model

    token_user = get_access_token_model().objects.filter(token_checksum=checksum)
    return _with_permissions(
        RoleAssignment.objects.filter(user_id=Subquery(token_user.values("user_id")[:1]))
    )


def _with_permissions(assignments):
    return assignments.values_list("role__api__identifier", "role__name", "role__scopes__name")
