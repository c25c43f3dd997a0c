"""Stored consent: what each user allowed each app, used by the consent page and withdrawn on the
connected-apps page. Services (state changes, each with its audit event) and selectors live
together here because they share one small model.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_writes
from oauth_portal.server.models import (
    Application,
    Consent,
)
from oauth_portal.server.tokens import tokens_revoke

ALWAYS_REQUIRED_SCOPES = frozenset({"openid"})


@dataclass(frozen=True)
class ConsentNeed:
    """What the consent page must ask, given what the user already allowed this app."""

    granted_before: list[str]
    new_required: list[str]
    new_optional: list[str]

    @property
    def is_covered(self) -> bool:
        return not self.new_required and not self.new_optional


def consent_for(*, user, application: Application) -> Consent | None:
    return Consent.objects.filter(user=user, application=application).first()


def consents_for_user(*, user) -> QuerySet[Consent]:
    """The user's connected apps, most recently changed first."""
    return Consent.objects.filter(user=user).select_related("application", "application__user")


def required_scopes_of(application: Application) -> set[str]:
    """Scopes the user cannot untick: ``openid`` and those the app declared required."""
    return set(ALWAYS_REQUIRED_SCOPES) | set(
        application.required_scopes.values_list("name", flat=True)
    )


def consent_need(*, user, application: Application, requested: list[str]) -> ConsentNeed:
    """Split the requested scopes into those already granted and the new ones to ask for.

    Only a remembered choice counts as granted: after "Approve once" the page asks again.
    """
    consent = consent_for(user=user, application=application)
    granted = consent.remembered_scopes if consent else set()
    required = required_scopes_of(application)
    new = [scope for scope in requested if scope not in granted]
    return ConsentNeed(
        granted_before=[scope for scope in requested if scope in granted],
        new_required=[scope for scope in new if scope in required],
        new_optional=[scope for scope in new if scope not in required],
    )


def scopes_to_grant(*, need: ConsentNeed, ticked: list[str]) -> list[str]:
    """The scopes a consent decision grants: what was granted before, every new required
    scope, and the new optional scopes the user left ticked (anything else posted is ignored).
    """
    chosen = set(ticked)
    return [
        *need.granted_before,
        *need.new_required,
        *[scope for scope in need.new_optional if scope in chosen],
    ]


@transaction.atomic
def consent_grant(
    *,
    user,
    application: Application,
    scopes: list[str],
    resource: list[str],
    remember: bool = True,
    request=None,
) -> Consent:
    """Record that ``user`` allowed ``application`` these scopes (added to earlier grants).

    ``remember`` is the consent page's "Remember my choice". Unticked (WSO2's Approve Once),
    the app gets this authorization only, and any remembered choice for the app is cleared,
    so the next request asks again: the user's latest word holds, and nothing they once ticked
    keeps skipping the page after they said "ask me". The app stays on Connected apps (with
    what it may hold tokens for) so its access can still be removed.
    """
    consent, _created = Consent.objects.select_for_update().get_or_create(
        user=user, application=application
    )
    added = [scope for scope in scopes if scope not in consent.scopes]
    consent.scope = " ".join(sorted(consent.scopes | set(scopes)))
    consent.remembered_scope = (
        " ".join(sorted(consent.remembered_scopes | set(scopes))) if remember else ""
    )
    consent.resource = sorted(set(consent.resource) | set(resource))
    consent.last_used_at = timezone.now()
    consent.save()
    AuditEvent.objects.record(
        event=AuditEvent.Type.CONSENT_GRANTED,
        request=request,
        actor=user,
        user=user,
        application=application,
        scope=" ".join(scopes),
        added=" ".join(added),
        remembered=remember,
    )
    return consent


def consent_touch(*, user, application: Application) -> None:
    """Note that the app used the user's consent (a token was issued or refreshed)."""
    if user is not None and getattr(user, "pk", None):
        compiled_writes.update(
            Consent, {"user": user, "application": application}, last_used_at=timezone.now()
        )


@transaction.atomic
def consent_revoke(*, user, application: Application, request=None) -> None:
    """Take back everything ``user`` allowed ``application``: the consent, and at once every
    access token, refresh token and pending authorization code the app holds for them."""
    Consent.objects.filter(user=user, application=application).delete()
    tokens_revoke(application=application, user=user)
    AuditEvent.objects.record(
        event=AuditEvent.Type.CONSENT_REVOKED,
        request=request,
        actor=user,
        user=user,
        application=application,
    )


@transaction.atomic
def consent_scope_remove(*, user, application: Application, scope: str, request=None) -> None:
    """Withdraw one scope: it leaves the consent, and tokens and codes carrying it are revoked
    (the app signs the user in again for what remains)."""
    consent = Consent.objects.select_for_update().filter(user=user, application=application).first()
    if consent is None or scope not in consent.scopes:
        return
    remaining = consent.scopes - {scope}
    if not remaining:
        consent_revoke(user=user, application=application, request=request)
        return
    consent.scope = " ".join(sorted(remaining))
    if consent.remembered_scope is not None:
        consent.remembered_scope = " ".join(sorted(consent.remembered_scopes - {scope}))
    consent.save(update_fields=["scope", "remembered_scope", "updated_at"])
    tokens_revoke(application=application, user=user, scope=scope)
    AuditEvent.objects.record(
        event=AuditEvent.Type.CONSENT_SCOPE_REMOVED,
        request=request,
        actor=user,
        user=user,
        application=application,
        scope=scope,
    )


def consent_scope_for_display(*, consent: Consent, scope: str) -> dict | None:
    """One scope of the user's consent in the words the user reads, or None if not granted."""
    from oauth_portal.server.api_catalogue import scopes_for_consent

    if scope not in consent.scopes:
        return None
    rows = scopes_for_consent(names=[scope])
    return rows[0] if rows else {"name": scope, "description": scope, "api": ""}


def consent_owned_by(*, user, application_id: int) -> Consent | None:
    """The user's consent for one app, or None: another user's consent is never found."""
    return (
        Consent.objects.filter(user=user, application_id=application_id)
        .select_related("application")
        .first()
    )


def connected_apps_for_display(*, user) -> list[dict]:
    """What the connected-apps page shows for each app the user authorized."""
    from oauth_portal.server.api_catalogue import scopes_for_consent

    rows = []
    for consent in consents_for_user(user=user):
        application = consent.application
        rows.append(
            {
                "consent": consent,
                "application": application,
                "publisher": application.homepage_url
                or (application.user.get_username() if application.user else ""),
                "scope_rows": scopes_for_consent(names=sorted(consent.scopes)),
                # Suspended by an admin: it can neither sign the user in nor use a token.
                "suspended": application.status == Application.Status.SUSPENDED,
            }
        )
    return rows


@transaction.atomic
def consent_revoke_by_admin(*, consent, actor, request=None) -> None:
    """Withdraw a user's consent for an app (and its tokens) on an admin's decision."""
    from oauth_portal.server.consents import (
        consent_revoke,  # oauth_portal.server.consents imports this module
    )

    consent_revoke(user=consent.user, application=consent.application, request=request)
    AuditEvent.objects.record_admin_action(
        actor=actor,
        action="consent_revoked",
        request=request,
        user=consent.user,
        application=consent.application,
    )
