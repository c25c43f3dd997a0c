"""OAuth clients: their lifecycle (register, change, approve, suspend, delete) and the
queries that list them. Shared by the portal, the admin and management commands."""

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_queries, model_instances
from oauth_portal.server import app_settings, client_memo
from oauth_portal.server.models import (
    ApiResource,
    Application,
    ClientSecret,
    Consent,
)
from oauth_portal.server.tokens import tokens_revoke


@transaction.atomic
def application_register(
    *,
    owner,
    actor=None,
    secret: str | None = None,
    request=None,
    audit_details: dict | None = None,
    **fields,
):
    """Create a client for ``owner`` and return ``(application, plain_secret)``.

    The secret is returned once (confidential clients only) and stored hashed. With
    ``PORTAL_REQUIRE_APPROVAL`` the app starts pending: usable only by its developer (an app
    with no owner, registered by a client itself, only once an admin approves it).
    """

    allowed_scopes = fields.pop("allowed_scopes", None)
    required_scopes = fields.pop("required_scopes", None)
    application = Application(user=owner, **fields)
    plain_secret = ""
    if application.client_type == Application.CLIENT_CONFIDENTIAL:
        plain_secret = secret or generate_client_secret()
        application.client_secret = plain_secret
        application.client_secret_created_at = timezone.now()
    if app_settings.PORTAL_REQUIRE_APPROVAL:
        application.status = Application.Status.PENDING
    application.full_clean()
    application.save()
    if allowed_scopes is not None:
        application.allowed_scopes.set(allowed_scopes)
    if required_scopes is not None:
        application.required_scopes.set(required_scopes)
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_CREATED,
        request=request,
        actor=actor or owner,
        application=application,
        kind=application.kind,
        status=application.status,
        **(audit_details or {}),
    )
    return application, plain_secret


@transaction.atomic
def application_update(*, application: Application, actor, changed: list[str], request=None):
    """Save edits already applied to ``application`` and record which fields changed."""
    application.full_clean()
    application.save()
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_CHANGED,
        request=request,
        actor=actor,
        application=application,
        fields=sorted(changed),
    )
    return application


@transaction.atomic
def application_delete(*, application: Application, actor, request=None) -> None:
    """Delete a client; every token, code and consent it holds goes with it."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_DELETED,
        request=request,
        actor=actor,
        application=application,
        client_id=application.client_id,
        name=application.name,
    )
    tokens_revoke(application=application)
    application.delete()


@transaction.atomic
def application_suspend(*, application: Application, actor, reason: str, request=None) -> None:
    """Suspend a client: it gets no new tokens, and its live tokens and codes die at once."""
    application.status = Application.Status.SUSPENDED
    application.suspension_reason = reason.strip()
    application.save(update_fields=["status", "suspension_reason", "updated"])
    revoked = tokens_revoke(application=application)
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_SUSPENDED,
        request=request,
        actor=actor,
        application=application,
        reason=application.suspension_reason,
        access_tokens_revoked=revoked,
    )


@transaction.atomic
def application_reactivate(*, application: Application, actor, request=None) -> None:
    """Make a suspended client usable again (tokens revoked at suspension stay revoked)."""
    application.status = Application.Status.ACTIVE
    application.suspension_reason = ""
    application.save(update_fields=["status", "suspension_reason", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_REACTIVATED,
        request=request,
        actor=actor,
        application=application,
    )


@transaction.atomic
def application_approve(*, application: Application, actor, request=None) -> None:
    """Approve a pending client so that every user, not only its developer, can use it."""
    if application.status != Application.Status.PENDING:
        return
    application.status = Application.Status.ACTIVE
    application.save(update_fields=["status", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_APPROVED, request=request, actor=actor, application=application
    )


@transaction.atomic
def application_first_party_set(
    *, application: Application, actor, first_party: bool, request=None
) -> None:
    """Mark a client first-party (its users are not asked for consent), or not."""
    application.skip_authorization = first_party
    application.save(update_fields=["skip_authorization", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_CHANGED,
        request=request,
        actor=actor,
        application=application,
        fields=["skip_authorization"],
        first_party=first_party,
    )


@transaction.atomic
def application_tokens_revoke(*, application: Application, actor, request=None) -> int:
    """Revoke every token and pending code of a client (it keeps working for new sign-ins)."""
    revoked = tokens_revoke(application=application)
    AuditEvent.objects.record(
        event=AuditEvent.Type.TOKENS_REVOKED,
        request=request,
        actor=actor,
        application=application,
        access_tokens_revoked=revoked,
    )
    return revoked


def application_for_client_id(client_id: str) -> Application | None:
    """The client registered as ``client_id``: as kept by this process while no client has
    changed anywhere (``client_memo``), else read with a query compiled once per process
    (every token, introspection and revocation request authenticates a client)."""
    kept = recalled_application(client_id)
    if kept is not client_memo.MISSING:
        return kept
    found = compiled_queries.run(client_read(client_id))
    return kept_application(client_id, found[0] if found else None)


def recalled_application(client_id: str):
    """A copy of the client ``client_id`` as kept (``client_memo``), or ``client_memo.MISSING``."""
    kept = client_memo.recall("client", client_id)
    if kept is client_memo.MISSING:
        return kept
    return model_instances.loaded(Application, *kept)


def kept_application(client_id: str, application: Application | None) -> Application | None:
    """Keep ``application`` (just read) for the next requests, and return it. A client
    that does not exist is not kept: a stranger naming random ids would fill the memo."""
    if application is not None and client_memo.keeping():
        names = [field.attname for field in Application._meta.concrete_fields]
        values = [application.__dict__[name] for name in names]
        client_memo.keep("client", client_id, (application._state.db, names, values))
    return application


def client_read(client_id: str) -> compiled_queries.Read:
    """``application_for_client_id``'s read, to send with others (``compiled_queries``): its
    answer is a list of at most one client."""
    return compiled_queries.Read("instances", "client", _client_rows, {"client_id": client_id})


def _client_rows(*, client_id: str) -> QuerySet[Application]:
    return Application.objects.filter(client_id=client_id)


def applications_with_usage() -> QuerySet[Application]:
    """Clients with their owner, number of authorized users and number of live access tokens.

    Counted in correlated subqueries rather than joins: two joined counts would multiply each
    other, and the admin list would otherwise query once per row.
    """
    live_tokens = get_access_token_model().objects.filter(
        application=OuterRef("pk"), expires__gt=timezone.now()
    )
    return Application.objects.select_related("user").annotate(
        authorized_users=_count_per_application(Consent.objects.filter(application=OuterRef("pk"))),
        live_tokens=_count_per_application(live_tokens),
    )


def _count_per_application(queryset) -> Coalesce:
    counted = queryset.order_by().values("application").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def applications_for_owner(*, owner) -> QuerySet:
    """The apps ``owner`` registered, newest first; none for an anonymous user."""
    from oauth_portal.server.models import Application

    if not getattr(owner, "is_authenticated", False):
        return Application.objects.none()
    return Application.objects.filter(user=owner).order_by("-created", "-pk")


def application_consent_count(*, application) -> int:
    """How many users have allowed ``application`` to use their account."""
    from oauth_portal.server.models import Consent

    return Consent.objects.filter(application=application).count()


def application_previous_secrets(*, application) -> QuerySet:
    """The previous secrets of ``application`` that still work (their grace period runs)."""

    return ClientSecret.objects.filter(
        application=application, expires_at__gt=timezone.now()
    ).order_by("expires_at")


def public_client_origin_registered(*, origin: str) -> bool:
    """Whether an active public client lists ``origin`` among its allowed origins."""
    from oauth_portal.server.models import Application

    candidates = Application.objects.filter(
        client_type=Application.CLIENT_PUBLIC,
        status=Application.Status.ACTIVE,
        allowed_origins__contains=origin,
    ).values_list("allowed_origins", flat=True)
    return any(origin in registered.split() for registered in candidates)


def apis_served_read(client_id: str) -> compiled_queries.Read:
    """The APIs an admin recorded the client registered as ``client_id`` as a resource server
    of (compiled once per process, ``compiled_queries``: every introspection asks), to send
    with the introspection's other reads; ``served_from`` makes the answer. Introspection keeps
    the answer while no client changed (``client_memo``)."""
    return compiled_queries.Read("rows", "apis-served-by", _served_rows, {"client_id": client_id})


def served_from(rows) -> dict[str, set[str]]:
    """Each API's identifier with the names of its scopes (disabled ones too: tokens may still
    carry them)."""
    served: dict[str, set[str]] = {}
    for identifier, scope_name in rows:
        served.setdefault(identifier, set())
        if scope_name:
            served[identifier].add(scope_name)
    return served


def _served_rows(*, client_id: str):
    return ApiResource.objects.filter(resource_servers__client_id=client_id).values_list(
        "identifier", "scopes__name"
    )
