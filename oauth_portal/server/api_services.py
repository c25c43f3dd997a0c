"""What the APIs app does: save a color (the sample API), and change the API and scope registry.

Every registry change is recorded as API_CHANGED or SCOPE_CHANGED. A scope something depends on
(a consent, a live token, a client's allowed list) cannot be deleted, only disabled: a disabled
scope is no longer granted, and tokens that carry it keep working until they expire.
"""

from django.db import transaction

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import ApiResource, Scope
from oauth_portal.server.selectors import scope_usage

# --- The API and scope registry, changed by admins ---------------------------------------------


class ScopeInUse(Exception):
    """A scope cannot be deleted while something depends on it; disable it instead."""

    def __init__(self, scope: Scope, usage: dict[str, int]):
        self.scope = scope
        self.usage = usage
        where = ", ".join(f"{count} {what}" for what, count in usage.items())
        super().__init__(f"The scope {scope.name} is in use ({where}): disable it instead.")


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


def _scope_record(*, scope: Scope, actor, action: str, request=None, **details) -> None:
    AuditEvent.objects.record(
        event=AuditEvent.Type.SCOPE_CHANGED,
        request=request,
        actor=actor,
        scope=scope.name,
        api=scope.api.name if scope.api_id else "",
        action=action,
        **details,
    )


@transaction.atomic
def api_save(*, api: ApiResource, actor, changed: list[str], request=None) -> ApiResource:
    """Create or change an API (its name, audience identifier, description)."""
    created = api.pk is None
    api.full_clean()
    api.save()
    _api_record(
        api=api,
        actor=actor,
        action="created" if created else "changed",
        fields=sorted(changed),
        request=request,
    )
    return api


@transaction.atomic
def api_delete(*, api: ApiResource, actor, request=None) -> None:
    """Delete an API that has no scopes left (scopes protect their API)."""
    _api_record(api=api, actor=actor, action="deleted", request=request)
    api.delete()


@transaction.atomic
def scope_save(*, scope: Scope, actor, changed: list[str], request=None) -> Scope:
    """Create or change a scope; switching ``is_active`` is recorded as enabled or disabled."""
    created = scope.pk is None
    scope.full_clean()
    scope.save()
    if created:
        action = "created"
    elif "is_active" in changed:
        action = "enabled" if scope.is_active else "disabled"
    else:
        action = "changed"
    _scope_record(scope=scope, actor=actor, action=action, fields=sorted(changed), request=request)
    return scope


def scope_active_set(*, scope: Scope, active: bool, actor, request=None) -> bool:
    """Enable or disable a scope; returns whether it changed."""
    if scope.is_active == active:
        return False
    scope.is_active = active
    scope_save(scope=scope, actor=actor, changed=["is_active"], request=request)
    return True


@transaction.atomic
def scope_delete(*, scope: Scope, actor, request=None) -> None:
    """Delete a scope nothing depends on; raise ``ScopeInUse`` otherwise."""
    usage = scope_usage(scope=scope)
    if usage:
        raise ScopeInUse(scope, usage)
    _scope_record(scope=scope, actor=actor, action="deleted", request=request)
    scope.delete()
