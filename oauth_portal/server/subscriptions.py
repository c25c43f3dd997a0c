"""API subscriptions: an app subscribes to the APIs it calls, an API may want each subscription
approved, and unsubscribing ends the app's access to the API at once.

Who may approve or reject is one hook, ``PORTAL_SUBSCRIPTION_DECIDER`` (an import path): by
default staff with the change permission on subscriptions (the admin) and the API's own
publisher (the portal's publisher pages); a host can narrow or widen it without touching these
services.

Unsubscribing (or a rejection after an approval) revokes the app's tokens and codes that carry
one of the API's scopes, with their refresh tokens. Azure API Management and WSO2 let such
tokens run until they expire; we prefer that access ends when the developer or the admin says
so. Tokens that carry no scope of the API are left alone.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings, publishing
from oauth_portal.server.models import ApiResource, Application, Subscription
from oauth_portal.server.tokens import tokens_revoke


def staff_may_decide(*, actor, subscription: Subscription) -> bool:
    """The default decider: active staff with the change permission on subscriptions."""
    return bool(
        getattr(actor, "is_active", False)
        and getattr(actor, "is_staff", False)
        and actor.has_perm("portal_server.change_subscription")
    )


def staff_or_publisher_may_decide(*, actor, subscription: Subscription) -> bool:
    """The default decider: staff as above, or a publisher who manages the API in the portal
    (its owner, with the publish permission)."""
    if staff_may_decide(actor=actor, subscription=subscription):
        return True
    return bool(
        getattr(actor, "is_authenticated", False)
        and publishing.apis_for_publisher(user=actor).filter(pk=subscription.api_id).exists()
    )


def subscription_decision_allowed(*, actor, subscription: Subscription) -> bool:
    """Whether ``actor`` may approve or reject ``subscription``: the hook named by
    ``PORTAL_SUBSCRIPTION_DECIDER`` decides."""
    decider = import_string(app_settings.PORTAL_SUBSCRIPTION_DECIDER)
    return bool(decider(actor=actor, subscription=subscription))


@transaction.atomic
def subscription_create(
    *, application: Application, api: ApiResource, actor, request=None
) -> Subscription:
    """Subscribe ``application`` to ``api``: approved at once, or pending when the API wants
    each subscription approved. A rejected subscription may be asked for again (pending)."""
    subscription = Subscription.objects.filter(application=application, api=api).first()
    if subscription is not None and subscription.status != Subscription.Status.REJECTED:
        raise ValidationError(
            "%(app)s is already subscribed to %(api)s.",
            code="already_subscribed",
            params={"app": application.name, "api": api.name},
        )
    subscription = subscription or Subscription(application=application, api=api)
    subscription.decision_note = ""
    if api.subscription_requires_approval:
        subscription.status = Subscription.Status.PENDING
        subscription.decided_at, subscription.decided_by = None, None
    else:
        subscription.status = Subscription.Status.APPROVED
        subscription.decided_at, subscription.decided_by = timezone.now(), None
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError:  # the same subscription asked for twice at once (a double submit)
        raise ValidationError(
            "%(app)s is already subscribed to %(api)s.",
            code="already_subscribed",
            params={"app": application.name, "api": api.name},
        ) from None
    AuditEvent.objects.record(
        event=AuditEvent.Type.SUBSCRIBED,
        request=request,
        actor=actor,
        application=application,
        api=api.identifier,
        status=subscription.status,
    )
    return subscription


def _decide(*, subscription: Subscription, actor, status: str, note: str, request) -> bool:
    if not subscription_decision_allowed(actor=actor, subscription=subscription):
        raise PermissionDenied("You may not decide on subscriptions to this API.")
    if subscription.status == status:
        return False
    was_approved = subscription.status == Subscription.Status.APPROVED
    subscription.status = status
    subscription.decided_at, subscription.decided_by = timezone.now(), actor
    subscription.decision_note = note.strip()[:500]
    subscription.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    revoked = 0
    if was_approved and status != Subscription.Status.APPROVED:
        revoked = _api_tokens_revoke(application=subscription.application, api=subscription.api)
    approved = status == Subscription.Status.APPROVED
    AuditEvent.objects.record(
        event=AuditEvent.Type.SUBSCRIPTION_APPROVED
        if approved
        else AuditEvent.Type.SUBSCRIPTION_REJECTED,
        request=request,
        actor=actor,
        application=subscription.application,
        api=subscription.api.identifier,
        note=subscription.decision_note,
        access_tokens_revoked=revoked,
    )
    return True


@transaction.atomic
def subscription_approve(
    *, subscription: Subscription, actor, note: str = "", request=None
) -> bool:
    """Approve a subscription: the app may ask for the API's scopes from now on. Raises
    ``PermissionDenied`` when the decider refuses ``actor``; returns whether anything changed."""
    return _decide(
        subscription=subscription,
        actor=actor,
        status=Subscription.Status.APPROVED,
        note=note,
        request=request,
    )


@transaction.atomic
def subscription_reject(*, subscription: Subscription, actor, note: str = "", request=None) -> bool:
    """Reject a subscription (an approved one too: the app's tokens for the API are revoked)."""
    return _decide(
        subscription=subscription,
        actor=actor,
        status=Subscription.Status.REJECTED,
        note=note,
        request=request,
    )


@transaction.atomic
def subscription_delete(*, subscription: Subscription, actor, request=None) -> int:
    """Unsubscribe: delete the subscription and revoke the app's tokens for the API (see the
    module's docstring). Returns how many access tokens died."""
    application, api = subscription.application, subscription.api
    subscription.delete()
    revoked = _api_tokens_revoke(application=application, api=api)
    AuditEvent.objects.record(
        event=AuditEvent.Type.UNSUBSCRIBED,
        request=request,
        actor=actor,
        application=application,
        api=api.identifier,
        access_tokens_revoked=revoked,
    )
    return revoked


def _api_tokens_revoke(*, application: Application, api: ApiResource) -> int:
    """Revoke ``application``'s tokens and codes carrying any scope of ``api`` (inactive
    scopes too: tokens may still carry them)."""
    return sum(
        tokens_revoke(application=application, scope=name)
        for name in api.scopes.values_list("name", flat=True)
    )
