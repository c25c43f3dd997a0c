"""The API and scope registry as admins change it and pages read it."""

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import (
    ApiResource,
    Application,
    Consent,
    Scope,
)


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


def scopes_for_consent(*, names: list[str]) -> list[dict]:
    """The requested scopes in the order asked, each with the words the user reads.

    Unknown names are left out: oauthlib has already refused a request naming one.
    """
    known = {
        scope.name: scope
        for scope in Scope.objects.filter(name__in=names, is_active=True).select_related("api")
    }
    return [
        {
            "name": name,
            "description": known[name].description,
            "api": known[name].api.name if known[name].api else "Your account",
        }
        for name in names
        if name in known
    ]


def scope_usage(*, scope) -> dict[str, int]:
    """Where a scope is in use: consents granting it, live tokens or pending codes carrying it,
    clients allowed or required to ask for it. Empty when nothing depends on it.

    Scopes are stored space-separated in text columns, so a ``contains`` match is confirmed
    word by word (``colors:read`` must not match ``colors:readwrite``).
    """

    def carrying(queryset) -> int:
        values = queryset.filter(scope__contains=scope.name).values_list("scope", flat=True)
        return sum(1 for value in values.iterator() if scope.name in value.split())

    now = timezone.now()
    access_tokens = get_access_token_model().objects
    # An expired access token still carries its scope to the refresh token that renews it.
    renewable = (
        get_refresh_token_model().objects.filter(revoked__isnull=True).values("access_token")
    )
    usage = {
        "consents": carrying(Consent.objects.all()),
        "live tokens": carrying(
            access_tokens.filter(expires__gt=now) | access_tokens.filter(pk__in=renewable)
        ),
        "pending authorization codes": carrying(get_grant_model().objects.filter(expires__gt=now)),
        "clients": Application.objects.filter(allowed_scopes=scope).count()
        + Application.objects.filter(required_scopes=scope).count(),
        "operations": scope.operations.count() if scope.pk else 0,
    }
    return {where: count for where, count in usage.items() if count}
