"""``offline_access`` (OpenID Connect Core 11): refresh tokens that outlive the sign-in.

Without ``offline_access`` a refresh token belongs to the browser sign-in that approved it, as
in Keycloak: signing out here (``POST /accounts/logout/``, RP-initiated logout at ``/o/logout/``,
the admin's sign-out, or any view that calls ``django.contrib.auth.logout``) revokes it, with
its access tokens. With ``offline_access`` granted it lives until it is revoked or expires.

How the tie is kept: every code the authorization endpoint issues is recorded against the
browser's sign-in session (``sign_in_sessions``: ``SignInSession`` and ``SessionClient``, the
records back-channel logout and the ID token's ``sid`` use too). When the code is redeemed, the
refresh-token family it starts is linked to that record, marked ``outlives_sign_in`` when
``offline_access`` was granted; every rotation keeps the family (DOT carries ``token_family``
from each refresh token to the next). Ending the session (a sign-out here, RP-initiated logout,
an admin ending it) revokes the families that do not outlive it.

A refresh token issued with no browser sign-in behind it (an admin's or a test's token, the
device flow) has nothing to be tied to: it lives until revoked, as an ``offline_access`` one
does.

Per client, ``Application.refresh_tokens_need_offline_access`` gives Auth0's strict behaviour:
no refresh token at all unless ``offline_access`` was granted.
"""

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application

OFFLINE_ACCESS = "offline_access"


def refresh_token_allowed(*, application: Application, scopes) -> bool:
    """Whether a token response may carry a refresh token: always, unless the client chose
    "refresh tokens only with offline_access" and the user did not grant it."""
    return not application.refresh_tokens_need_offline_access or OFFLINE_ACCESS in (scopes or [])


def outlives_sign_in(scopes) -> bool:
    return OFFLINE_ACCESS in (scopes or [])


@transaction.atomic
def sign_in_session_tokens_revoke(*, sign_in_session, request=None) -> int:
    """The sign-in session is over: revoke every refresh-token family started in it that does
    not outlive it (no ``offline_access``) and delete their access tokens, in a constant number
    of queries. Returns how many refresh tokens were revoked."""
    families = sign_in_session.clients.filter(
        outlives_sign_in=False, token_family__isnull=False
    ).values("token_family")
    refresh_tokens = get_refresh_token_model().objects.filter(token_family__in=families)
    now = timezone.now()
    revoked = refresh_tokens.filter(revoked__isnull=True).update(revoked=now, updated=now)
    get_access_token_model().objects.filter(
        pk__in=refresh_tokens.values("access_token_id")
    ).delete()
    if revoked:
        AuditEvent.objects.record(
            event=AuditEvent.Type.TOKENS_REVOKED,
            request=request,
            user=sign_in_session.user,
            reason="signed_out",
            refresh_tokens_revoked=revoked,
        )
    return revoked
