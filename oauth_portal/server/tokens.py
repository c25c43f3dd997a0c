"""Tokens and codes: issuing records, replay detection, revocation.

Every revocation goes through ``tokens_revoke`` (a constant number of queries), whoever asks:
suspension, consent withdrawal, deactivation, an admin."""

import logging
import uuid

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
)

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_writes
from oauth_portal.server.bearer import token_checksum
from oauth_portal.server.models import (
    Application,
    RedeemedCode,
)

logger = logging.getLogger(__name__)


_FIND_FAMILY = object()


def authorization_code_redeemed(
    *,
    code: str,
    application: Application,
    user,
    token: dict,
    sign_in_methods=None,
    token_family=_FIND_FAMILY,
) -> None:
    """Remember a redeemed code and the token family it started, to catch a replay later, and
    how the user had signed in, for the family's refreshed ID tokens.

    ``token_family``: the family of the refresh token just issued (``None``: none was), which
    the token endpoint has at hand; without it, it is looked up through the access token."""
    access_checksum = token_checksum(token["access_token"])
    family = token_family
    if family is _FIND_FAMILY:
        family = (
            get_refresh_token_model()
            .objects.filter(access_token__token_checksum=access_checksum)
            .values_list("token_family", flat=True)
            .first()
        )
    # Nothing reads it in this request: it joins the writes the token request sends together.
    compiled_writes.insert(
        RedeemedCode(
            code_checksum=token_checksum(code),
            application=application,
            user=user,
            token_family=family,
            access_token_checksum=access_checksum,
            sign_in_methods=list(sign_in_methods or []),
        ),
        hold=True,
    )


def authorization_code_replay_handle(*, code: str, application: Application, request=None) -> bool:
    """If ``code`` was redeemed before, revoke everything that redemption issued.

    RFC 6749 §4.1.2: a code used twice means someone else holds it; the tokens from its first
    use are no longer trustworthy. Returns whether the code was a replay.
    """
    redeemed = RedeemedCode.objects.filter(
        code_checksum=token_checksum(code), application=application
    ).first()
    if redeemed is None:
        return False
    token_family_revoke(token_family=redeemed.token_family)
    get_access_token_model().objects.filter(token_checksum=redeemed.access_token_checksum).delete()
    AuditEvent.objects.record(
        event=AuditEvent.Type.CODE_REUSED,
        request=request,
        user=redeemed.user,
        application=application,
        first_redeemed_at=redeemed.redeemed_at.isoformat(),
    )
    return True


def refresh_token_replay_record(*, refresh_token, request=None) -> None:
    """Record a revoked refresh token presented again (DOT answers ``invalid_grant`` and has
    revoked its family), as what it is.

    Reuse is a token that was rotated (a newer one of its family exists): two parties held it,
    so it may be stolen. The newest of its family was never rotated: it was revoked on purpose
    (access removed on Connected apps, sign-out, revocation, an admin), and an app that has
    not caught up yet is no sign of theft, so it is recorded as such, not as reuse.
    """
    family = refresh_token.token_family
    rotated = bool(family) and (
        get_refresh_token_model()
        .objects.filter(token_family=family, pk__gt=refresh_token.pk)
        .exists()
    )
    AuditEvent.objects.record(
        event=AuditEvent.Type.REFRESH_REUSED
        if rotated
        else AuditEvent.Type.REFRESH_AFTER_REVOCATION,
        request=request,
        user=refresh_token.user,
        application=refresh_token.application,
        revoked_at=refresh_token.revoked.isoformat(),
    )


def token_family_revoke(*, token_family: uuid.UUID | None) -> None:
    """Revoke every refresh token of one family and delete their access tokens."""
    get_refresh_token_model().revoke_family(token_family)


def token_issue_record(*, request, token: dict) -> None:
    """Write the audit event for a token response (issued or refreshed); never the token."""
    refreshed = request.grant_type == "refresh_token"
    AuditEvent.objects.record_in_batch(
        event=AuditEvent.Type.TOKEN_REFRESHED if refreshed else AuditEvent.Type.TOKEN_ISSUED,
        request=request,
        user=request.user,
        application=request.client,
        grant_type=request.grant_type,
        scope=token.get("scope", ""),
        expires_in=token.get("expires_in"),
    )


def tokens_revoke(
    *, application: Application | None = None, user=None, scope: str | None = None
) -> int:
    """Revoke refresh tokens and delete access tokens, ID tokens and pending codes of
    ``application``, of ``user``, or of ``user`` in ``application`` (only those carrying
    ``scope``, when given), in a constant number of queries. Returns how many access tokens died.

    Shared by suspension, "revoke all tokens", consent withdrawal, scope removal, and a user
    deactivated or given a new password (every app at once).
    """
    from oauth2_provider.models import get_id_token_model

    if application is None and user is None:
        raise ValueError("tokens_revoke needs an application, a user or both.")
    owner = {
        name: value
        for name, value in (("application", application), ("user", user))
        if value is not None
    }
    access_tokens = get_access_token_model().objects.filter(**owner)
    refresh_tokens = get_refresh_token_model().objects.filter(revoked__isnull=True, **owner)
    grants = get_grant_model().objects.filter(**owner)
    if scope is not None:
        carrying = [t.pk for t in access_tokens.only("pk", "scope") if scope in t.scope.split()]
        access_tokens = access_tokens.filter(pk__in=carrying)
        refresh_tokens = refresh_tokens.filter(access_token__in=carrying)
        grants = grants.filter(
            pk__in=[g.pk for g in grants.only("pk", "scope") if scope in g.scope.split()]
        )
    now = timezone.now()
    refresh_tokens.update(revoked=now, updated=now)
    id_token_ids = list(access_tokens.exclude(id_token=None).values_list("id_token", flat=True))
    deleted, _ = access_tokens.delete()
    id_tokens = get_id_token_model().objects.filter(**owner)
    if scope is not None:
        id_tokens = id_tokens.filter(pk__in=id_token_ids)
    id_tokens.delete()
    grants.delete()
    return deleted


@transaction.atomic
def user_tokens_revoke(*, user, reason: str, request=None) -> int:
    """Revoke every token and pending code ``user`` holds, in every app, and record why.

    Deactivation and a new password (reset, admin, or a change with "sign out of connected
    apps" ticked) end what the account gave away: ``tokens_follow_account`` calls this on the
    user's save. Returns how many access tokens died; a user who had none leaves no event.
    """
    revoked = tokens_revoke(user=user)
    if revoked:
        AuditEvent.objects.record(
            event=AuditEvent.Type.TOKENS_REVOKED,
            request=request,
            user=user,
            reason=reason,
            access_tokens_revoked=revoked,
        )
    return revoked


@transaction.atomic
def access_token_revoke(*, access_token, actor, request=None) -> bool:
    """Revoke an access token with its whole refresh-token family (or alone, if it has none).

    Killing only the access token would leave its refresh token able to mint a new one.
    Returns False when the token was already gone (revoked with an earlier family member).
    """
    if not get_access_token_model().objects.filter(pk=access_token.pk).exists():
        return False
    refresh_token = get_refresh_token_model().objects.filter(access_token=access_token).first()
    source = refresh_token or access_token.source_refresh_token
    family = source.token_family if source is not None else None
    if family:
        token_family_revoke(token_family=family)
    elif refresh_token is not None:
        refresh_token.revoke()
    get_access_token_model().objects.filter(pk=access_token.pk).delete()
    _admin_revocation_record(
        token=access_token,
        family=family,
        actor=actor,
        request=request,
        access_token_id=access_token.pk,
    )
    return True


@transaction.atomic
def refresh_token_revoke(*, refresh_token, actor, request=None) -> bool:
    """Revoke a refresh token's whole family (every member and their access tokens).

    Returns False when nothing in the family was still alive.
    """
    family = refresh_token.token_family
    refresh_tokens = get_refresh_token_model().objects
    members = (
        refresh_tokens.filter(token_family=family)
        if family
        else refresh_tokens.filter(pk=refresh_token.pk)
    )
    if not members.filter(revoked__isnull=True).exists():
        return False
    if family:
        token_family_revoke(token_family=family)
    else:
        refresh_token.revoke()
    _admin_revocation_record(
        token=refresh_token,
        family=family,
        actor=actor,
        request=request,
        refresh_token_id=refresh_token.pk,
    )
    return True


def _admin_revocation_record(*, token, family, actor, request, **token_id) -> None:
    AuditEvent.objects.record(
        event=AuditEvent.Type.TOKEN_REVOKED,
        request=request,
        actor=actor,
        user=token.user,
        application=token.application,
        token_family=str(family or ""),
        via="admin",
        **token_id,
    )
