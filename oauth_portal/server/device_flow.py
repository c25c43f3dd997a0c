"""The device authorization grant (RFC 8628): device codes, the user's decision, polling.

DOT ships the grant but routes polling around oauthlib (an unknown ``device_code`` is a 500 or a
non-standard 404, ``slow_down`` is a TODO, a code can be redeemed more than once, by any client).
Here it goes through oauthlib like every other grant: ``device_grant_poll`` is the device grant's
pre-token validator (``oauth_server.PortalServer``) and raises RFC 8628 §3.5 errors, which
oauthlib turns into RFC 6749 error JSON; the validator deletes the grant when it issues tokens.

DOT's ``DeviceGrant`` model is kept (not swapped); its ``device_code`` column holds the code's
SHA-256, never the code (``user_codes.device_code_checksum``).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_application_model, get_device_grant_model
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628 import errors as device_errors

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.client_secrets import credentials_from_request
from oauth_portal.server.user_codes import device_code_checksum, user_code_normalize
from oauth_portal.server.validator_redemption import user_is_active

DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 §3.5: each slow_down adds 5 seconds to the interval, for this and later polls.
SLOW_DOWN_STEP_SECONDS = 5


def device_grant_create(
    *, client_id: str, scope: str, device_code: str, user_code: str, expires_in: int, interval: int
):
    """Record a device authorization request; only the device code's hash is stored."""
    return get_device_grant_model().objects.create(
        client_id=client_id,
        device_code=device_code_checksum(device_code),
        user_code=user_code,
        scope=scope,
        interval=interval,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )


def device_grant_pending(*, typed_user_code: str):
    """The pending, unexpired grant a typed user code names, or None.

    Case and dashes do not matter. Codes are not unique in DOT's table, so the newest pending
    one wins (two live grants sharing a code is a 1 in 2^34 event).
    """
    user_code = user_code_normalize(typed_user_code)
    if user_code is None:
        return None
    model = get_device_grant_model()
    return (
        model.objects.filter(
            user_code=user_code, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()
        )
        .order_by("-id")
        .first()
    )


def application_of(grant):
    return get_application_model().objects.filter(client_id=grant.client_id).first()


def _locked_pending(grant):
    """``grant`` re-read under a row lock, if still pending and unexpired (another tab may have
    decided it meanwhile)."""
    model = get_device_grant_model()
    return (
        model.objects.select_for_update()
        .filter(pk=grant.pk, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now())
        .first()
    )


@transaction.atomic
def device_grant_approve(*, grant, user, scopes: list[str], request=None) -> bool:
    """The user allows the device: it may now redeem its device code for ``scopes``.

    Returns False when the grant was decided or expired in the meantime.
    """
    locked = _locked_pending(grant)
    if locked is None:
        return False
    locked.user = user
    locked.scope = " ".join(scopes)
    locked.status = locked.AUTHORIZED
    locked.save(update_fields=["user", "scope", "status"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.DEVICE_APPROVED,
        request=request,
        actor=user,
        user=user,
        application=application_of(locked),
        scope=locked.scope,
    )
    return True


@transaction.atomic
def device_grant_deny(*, grant, user, request=None) -> bool:
    """The user refuses the device: its next poll gets ``access_denied``."""
    locked = _locked_pending(grant)
    if locked is None:
        return False
    locked.user = user
    locked.status = locked.DENIED
    locked.save(update_fields=["user", "status"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.DEVICE_DENIED,
        request=request,
        actor=user,
        user=user,
        application=application_of(locked),
        scope=locked.scope,
    )
    return True


def device_grant_poll(request) -> None:
    """oauthlib pre-token validator of the device grant: the device code's state as RFC 8628
    §3.5 says, or, once the user allowed it, the user and scopes the tokens are for.

    The grant's row is locked (the token view runs in one transaction), so of racing polls
    with an allowed code exactly one gets tokens: the validator deletes the row as it saves
    them, and the others find no code (``invalid_grant``). A code of another client than the
    one asking is unknown to it.
    """
    device_code = getattr(request, "device_code", None)
    if not device_code:
        raise errors.InvalidRequestError(
            description="Missing device_code parameter.", request=request
        )
    grant = (
        get_device_grant_model()
        .objects.select_for_update()
        .filter(device_code=device_code_checksum(device_code))
        .first()
    )
    client_id, _secret = credentials_from_request(request)
    if grant is None or grant.client_id != client_id:
        raise errors.InvalidGrantError(
            description="Unknown, expired or already used device_code.", request=request
        )
    now = timezone.now()
    if grant.status == grant.EXPIRED or now >= grant.expires:
        raise device_errors.ExpiredTokenError(
            description="The device code has expired: start again.", request=request
        )
    if grant.status == grant.DENIED:
        raise device_errors.AccessDenied(description="The user denied access.", request=request)
    if grant.status == grant.AUTHORIZATION_PENDING:
        _refuse_pending(grant, now, request)
    user = grant.user
    if user is None or not user_is_active(user):  # a device grant always has a user
        raise errors.InvalidGrantError(description="The user cannot sign in.", request=request)
    request.user = user
    request.scopes = grant.scope.split()
    request.device_grant = grant


def _refuse_pending(grant, now, request) -> None:
    """``authorization_pending``, or ``slow_down`` (interval + 5 s, kept on the grant) when this
    poll came sooner than the interval after the last one (or after the code was issued)."""
    too_soon = (now - grant.last_checked).total_seconds() < grant.interval
    if too_soon:
        grant.interval += SLOW_DOWN_STEP_SECONDS
    grant.save(update_fields=["interval", "last_checked"])  # last_checked: auto_now
    if too_soon:
        raise device_errors.SlowDownError(
            description=f"Polling too fast: wait {grant.interval} seconds between requests.",
            request=request,
        )
    raise device_errors.AuthorizationPendingError(
        description="The user has not decided yet.", request=request
    )


def device_grant_consume(request) -> None:
    """Called as tokens are saved for a device code: the code is spent (single use)."""
    grant = getattr(request, "device_grant", None)
    if grant is not None:
        grant.delete()


def device_grants_prune(*, older_than: timedelta) -> int:
    """Delete device grants that expired more than ``older_than`` ago (DOT's ``cleartokens``
    leaves them); a device polling one after that gets ``invalid_grant``."""
    deleted, _ = (
        get_device_grant_model().objects.filter(expires__lt=timezone.now() - older_than).delete()
    )
    return deleted
