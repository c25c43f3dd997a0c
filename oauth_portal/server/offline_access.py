"""``offline_access`` (OpenID Connect Core 11): refresh tokens that outlive the sign-in.

Without ``offline_access`` a refresh token belongs to the browser sign-in that approved it, as
in Keycloak: signing out here (``POST /accounts/logout/``, RP-initiated logout at ``/o/logout/``,
the admin's sign-out, or any view that calls ``django.contrib.auth.logout``) revokes it, with
its access tokens. With ``offline_access`` granted it lives until it is revoked or expires.

How the tie is kept:

- when the authorization endpoint issues a code, the code's checksum is tied to a random
  sign-in id kept in the user's session (``SignInTie``); the session key is never stored;
- when the code is redeemed, the refresh-token family it starts takes over the tie, and every
  rotation keeps it (DOT carries ``token_family`` from each refresh token to the next);
- ``user_logged_out`` revokes the families tied to the sign-in that ends.

A refresh token issued with no browser sign-in behind it (an admin's or a test's token, a grant
type without a sign-in page) has nothing to be tied to: it lives until revoked, as an
``offline_access`` one does.

Per client, ``Application.refresh_tokens_need_offline_access`` gives Auth0's strict behaviour:
no refresh token at all unless ``offline_access`` was granted.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.bearer import token_checksum
from oauth_portal.server.models import Application, SignInTie

OFFLINE_ACCESS = "offline_access"

# The session key under which the id of this browser sign-in is kept. It is copied when
# Django rotates the session key (a new sign-in as the same user, a password change) and goes
# when the session is flushed (sign-out, another user signing in).
SIGN_IN_SESSION_KEY = "portal_sign_in"

# A code lives a minute; a tie whose code was never redeemed is dropped well after that.
UNREDEEMED_TIE_LIFETIME = timedelta(hours=1)


def _digest(sign_in: str) -> str:
    return hashlib.sha256(sign_in.encode()).hexdigest()


def refresh_token_allowed(*, application: Application, scopes) -> bool:
    """Whether a token response may carry a refresh token: always, unless the client chose
    "refresh tokens only with offline_access" and the user did not grant it."""
    return not application.refresh_tokens_need_offline_access or OFFLINE_ACCESS in (scopes or [])


def sign_in_id(request) -> str:
    """The id of the browser sign-in behind ``request``, made on first need."""
    current = request.session.get(SIGN_IN_SESSION_KEY)
    if not current:
        current = secrets.token_urlsafe(32)
        request.session[SIGN_IN_SESSION_KEY] = current
    return current


def code_tie_to_sign_in(*, request, code: str) -> None:
    """Tie a code just issued by the authorization endpoint to the user's sign-in; whether its
    tokens keep the tie is decided when it is redeemed (``code_tie_pass_to_family``)."""
    SignInTie.objects.filter(
        token_family=None, created__lt=timezone.now() - UNREDEEMED_TIE_LIFETIME
    ).delete()
    SignInTie.objects.create(
        sign_in=_digest(sign_in_id(request)), code_checksum=token_checksum(code)
    )


def code_tie_pass_to_family(*, code: str, token_family: uuid.UUID | None, scopes) -> None:
    """The code was redeemed: the refresh-token family it started inherits its tie, unless the
    tokens carry ``offline_access`` (they outlive the sign-in) or no refresh token was issued
    (a strict client without ``offline_access``)."""
    ties = SignInTie.objects.filter(code_checksum=token_checksum(code))
    if token_family is None or OFFLINE_ACCESS in (scopes or []):
        ties.delete()
    else:
        ties.update(code_checksum=None, token_family=token_family)


@transaction.atomic
def sign_in_tokens_revoke(*, session, user=None, request=None) -> int:
    """The sign-in kept in ``session`` (a Django session, the signed-out request's or one an
    admin ends) is over: revoke every refresh-token family tied to it and delete their access
    tokens, in a constant number of queries. Returns how many refresh tokens were revoked."""
    current = session.get(SIGN_IN_SESSION_KEY) if session is not None else None
    if not current:
        return 0
    ties = SignInTie.objects.filter(sign_in=_digest(current))
    families = ties.exclude(token_family=None).values("token_family")
    refresh_tokens = get_refresh_token_model().objects.filter(token_family__in=families)
    now = timezone.now()
    revoked = refresh_tokens.filter(revoked__isnull=True).update(revoked=now, updated=now)
    get_access_token_model().objects.filter(
        pk__in=refresh_tokens.values("access_token_id")
    ).delete()
    ties.delete()
    if revoked:
        AuditEvent.objects.record(
            event=AuditEvent.Type.TOKENS_REVOKED,
            request=request,
            user=user,
            reason="signed_out",
            refresh_tokens_revoked=revoked,
        )
    return revoked


def sign_in_ties_prune() -> int:
    """Delete the ties nothing can use any more: a code never redeemed, or a family whose
    refresh tokens are all gone (``cleartokens`` deletes them once expired). Run after
    ``cleartokens`` (``manage.py prune_sign_in_ties``). Returns how many were deleted."""
    # NOT IN over a column with NULLs matches nothing: leave family-less tokens out.
    families = (
        get_refresh_token_model().objects.filter(token_family__isnull=False).values("token_family")
    )
    unredeemed = Q(token_family=None, created__lt=timezone.now() - UNREDEEMED_TIE_LIFETIME)
    orphaned = Q(token_family__isnull=False) & ~Q(token_family__in=families)
    deleted, _ = SignInTie.objects.filter(unredeemed | orphaned).delete()
    return deleted


def _revoke_on_sign_out(sender, request, user, **kwargs) -> None:
    # Sent before the session is flushed, so the sign-in id can still be read.
    if request is not None:
        sign_in_tokens_revoke(session=getattr(request, "session", None), user=user, request=request)


def connect() -> None:
    user_logged_out.connect(_revoke_on_sign_out, dispatch_uid="portal-offline-access-sign-out")
