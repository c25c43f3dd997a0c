"""Redeeming a grant: an authorization code or a refresh token, each read once, locked, and
judged by DOT's rules plus ours (the user still active and still allowed by a sandbox app; the
scopes and APIs narrowed to the client's allow-list as it is now). A mixin of our
OAUTH2_VALIDATOR_CLASS (``oauth2_validators.py``), on DOT's own hooks.

DOT reads a code's row five times during one redemption and a refresh token's row twice plus
its user and client; each read is a round trip inside the token request's transaction. These
methods read each row once, with what the later steps need, and answer DOT's later questions
from it.
"""

import json
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import (
    get_grant_model,
    get_refresh_token_model,
    refresh_token_expire_timedelta,
)
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors, utils

from oauth_portal.db import compiled_deletes, compiled_queries, compiled_writes
from oauth_portal.server import bearer, sign_in_sessions, tokens
from oauth_portal.server.models import GrantSignIn
from oauth_portal.server.validator_id_tokens import grant_sign_in_methods


class GrantRedemption:
    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        """The code's scopes, which oauthlib's dispatcher asks for first (to pick the OpenID or
        the plain OAuth handler), from the one read of the code's row: locked, with its user,
        its sign-in record (amr) and its sign-in session (the ID token's sid).

        Locking the row here makes racing redemptions of one code queue behind the first
        (the token view runs in one transaction): the losers find the row gone and are treated
        as a replay. DOT would read the row three more times; ``validate_code`` and the
        checks after it answer from this one.
        """
        grants = compiled_queries.instances(
            "redeeming-code",
            _code_rows,
            code=code,
            checksum=sign_in_sessions.code_checksum(code),
        )
        request.redeeming_grant = grants[0] if grants else None
        request.portal_code_read = code
        return utils.scope_to_list(grants[0].scope) if grants else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        """DOT's rule (the client's own unexpired code) on the row read and locked above.

        A code that fails is looked up as a replay (which also revokes what its redemption
        issued). A code of a user deactivated since is ``invalid_grant``; its scopes and APIs
        are narrowed to the client's allow-list as it is now.
        """
        if getattr(request, "portal_code_read", None) != code:
            # Not through the token endpoint's dispatcher: read and lock the row the same way.
            self.get_authorization_code_scopes(client_id, code, None, request)
        grant = self._redeeming_grant(request, code)
        if grant is None or grant.application_id != client.pk or grant.is_expired():
            request.redeeming_grant = None
            tokens.authorization_code_replay_handle(code=code, application=client, request=request)
            return False
        request.portal_code_sid = grant.portal_sid
        request.portal_sign_in_methods = grant_sign_in_methods(grant)
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        if not user_is_active(request.user):
            return False
        refuse_user_outside_sandbox(client, request)
        request.scopes = self._still_allowed_scopes(client, request, request.scopes)
        # The audience a JWT access token is minted for (oauth_portal/server/access_tokens.py).
        request.grant_resource = self._still_allowed_resources(
            client, request, grant.resource or []
        )
        return True

    # oauthlib asks DOT about the code being redeemed four more times after validate_code (PKCE
    # challenge and method, redirect URI, nonce), and DOT reads the row each time. These give
    # DOT's answers from the row read and locked above, and defer to DOT otherwise.

    @staticmethod
    def _redeeming_grant(request, code):
        grant = getattr(request, "redeeming_grant", None)
        return grant if grant is not None and grant.code == code else None

    def get_code_challenge(self, code, request):
        if grant := self._redeeming_grant(request, code):
            return grant.code_challenge or None
        return super().get_code_challenge(code, request)

    def get_code_challenge_method(self, code, request):
        if grant := self._redeeming_grant(request, code):
            return grant.code_challenge_method or None
        return super().get_code_challenge_method(code, request)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        """A code redeemed with another redirect URI than it was issued for is ``invalid_grant``
        (RFC 6749 §5.2: the grant does not match); oauthlib would answer ``invalid_request``."""
        if grant := self._redeeming_grant(request, code):
            confirmed = grant.redirect_uri_allowed(redirect_uri)
        else:
            confirmed = super().confirm_redirect_uri(
                client_id, code, redirect_uri, client, request, *args, **kwargs
            )
        if not confirmed:
            raise errors.InvalidGrantError(
                description="The redirect_uri does not match the one the code was issued for.",
                request=request,
            )
        return True

    def _check_and_set_request_resource(self, request):
        """RFC 8707 for a code: the token request may narrow the grant's APIs, never widen
        them. DOT's rule, on the row read above (DOT would read it again); other grants go to
        DOT. The allow-list re-check (``validator_allow_list``) narrows the result after."""
        grant = None
        if request.grant_type == "authorization_code":
            grant = self._redeeming_grant(request, request.code)
        if grant is None:
            return super()._check_and_set_request_resource(request)
        requested = _requested_resources(request)
        self._validate_resource_uris(request, requested)
        granted = grant.resource or []
        if widening := [resource for resource in requested if granted and resource not in granted]:
            raise errors.CustomOAuth2Error(
                error="invalid_target",
                description=f"The requested resource '{widening[0]}' is not allowed. Token "
                "request cannot escalate resource permissions beyond the original "
                "authorization grant",
                request=request,
            )
        if granted and not requested:
            self._validate_resource_uris(request, granted)
        request.resource = requested or granted
        return None

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        """Delete the code's row that ``validate_code`` locked and read (DOT finds it again),
        with its sign-in record, by key (held back to the end of the token request)."""
        if grant := self._redeeming_grant(request, code):
            grant_key = GrantSignIn._meta.get_field("grant")
            compiled_writes.delete(GrantSignIn, {"grant": grant})
            deleted = compiled_writes.delete(type(grant), {"pk": grant.pk}, cleared=(grant_key,))
            if deleted != 0:  # 1, or None: held back, on the row this transaction has locked
                return
            raise errors.InvalidGrantError(request=request)
        super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        if grant := self._redeeming_grant(request, code):
            return grant.nonce or None
        return super().get_authorization_code_nonce(client_id, code, redirect_uri, request)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """Lock the refresh token's rows first, so racing refreshes queue behind one winner.

        A loser then sees the token already rotated, which DOT treats as reuse: it fails with
        ``invalid_grant`` and the whole family is revoked. A refresh token of a user deactivated
        since is ``invalid_grant`` too; its audience is narrowed to the client's allow-list
        (its scopes in ``get_original_scopes``).

        The locked read brings the token's user, client and access token along: a live token
        within its lifetime is then judged by DOT's rule on that row (DOT would read it again
        and fetch its user and client one query each). Every other case (rotated, revoked,
        expired, orphaned) is left to DOT, with its grace period and reuse protection.
        """
        checksum = bearer.token_checksum(refresh_token)
        rows = compiled_queries.instances("refresh-token", _refresh_token_rows, checksum=checksum)
        live = next((row for row in rows if row.revoked is None), None)
        if live is not None and _within_lifetime(live):
            request.portal_locked_refresh_token = live
            request.user = live.user
            request.refresh_token = refresh_token
            request.refresh_token_instance = live
            valid = live.application_id == client.pk
        else:
            valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        replayed = [
            row for row in rows if row.revoked is not None and row.application_id == client.pk
        ]
        if not valid and replayed and live is None:
            tokens.refresh_token_replay_record(refresh_token=replayed[0], request=request)
        if not valid or not user_is_active(request.user):
            return False
        refuse_user_outside_sandbox(client, request)
        # The audience a JWT access token is minted for (oauth_portal/server/access_tokens.py).
        request.grant_resource = self._still_allowed_resources(
            client, request, request.refresh_token_instance.resource or []
        )
        return True

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """Rotating a live refresh token: DOT's rotation, on the rows read and locked above.

        DOT locks the refresh token again, looks for an access token already minted from it
        (none can be: it is unrevoked and locked), and revokes it in a savepoint where it locks
        and reads it once more: six round trips that change nothing. Here the old access token
        is deleted (which tombstones it in the bearer cache), the refresh token is
        marked revoked, and the new pair is minted from it, in its family, as DOT mints it.
        Every other case (no rotation, a refresh token not issued, DOT's grace period) is DOT's.
        """
        refresh_token = getattr(request, "refresh_token_instance", None)
        rotating = (
            request.grant_type == "refresh_token"
            and token.get("refresh_token")
            and "scope" in token
            and self.rotate_refresh_token(request)
            and refresh_token is not None
            and refresh_token is getattr(request, "portal_locked_refresh_token", None)
            and refresh_token.revoked is None
        )
        if not rotating:
            return super()._save_bearer_token(token, request, *args, **kwargs)
        self._check_and_set_request_resource(request)
        lifetime = token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        expires = timezone.now() + timedelta(seconds=lifetime)
        if refresh_token.access_token is not None:
            # Deleted as ``delete()`` deletes it (its JWT record too, the bearer cache's
            # tombstones sent), with the request's other held-back writes; the refresh token's
            # link to it is nulled just below.
            link = type(refresh_token)._meta.get_field("access_token")
            old = refresh_token.access_token
            compiled_deletes.delete_instance(old, cleared=(link,), hold=True)
        refresh_token.access_token = None
        refresh_token.revoked = timezone.now()
        compiled_writes.save_fields(refresh_token, "access_token", "revoked", "updated")
        request.refresh_token_instance = None  # as DOT leaves it once the old token is revoked
        access_token = self._create_access_token(
            expires, request, token, source_refresh_token=refresh_token
        )
        self._create_refresh_token(request, token["refresh_token"], access_token, refresh_token)
        return None

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        """The refresh token's scopes that the client may still ask for.

        oauthlib checks a ``scope`` asked at refresh against these, so asking again for one
        taken off the allow-list is ``invalid_scope``; without ``scope``, the new tokens get
        these, and the next refresh starts from them.
        """
        original = super().get_original_scopes(refresh_token, request, *args, **kwargs)
        return self._still_allowed_scopes(
            request.client, request, utils.scope_to_list(original) or []
        )


def _code_rows(*, code: str, checksum: str):
    return (
        get_grant_model()
        # Only the grant's row is locked: PostgreSQL cannot lock the outer join's side.
        .objects.select_for_update(of=("self",))
        .select_related("user", "portal_sign_in")
        .annotate(portal_sid=sign_in_sessions.code_sid(checksum))
        .filter(code=code)
    )


def _refresh_token_rows(*, checksum: str):
    return (
        get_refresh_token_model()
        # Only the token's rows are locked: PostgreSQL cannot lock an outer join's side.
        .objects.select_for_update(of=("self",))
        .select_related("access_token", "user", "application")
        .filter(token_checksum=checksum)
    )


def _requested_resources(request) -> list[str]:
    """The token request's ``resource`` values as DOT reads them: oauthlib keeps only the last
    of a repeated parameter, so they are taken from the body again."""
    resource = getattr(request, "resource", None)
    if isinstance(resource, list):
        return resource
    if not isinstance(resource, str) or not resource.strip():
        return []
    repeated = [value for key, value in (request.decoded_body or []) if key == "resource"]
    return repeated if len(repeated) > 1 else [resource]


def user_is_active(user) -> bool:
    """No user (client credentials) is fine; a host user model without ``is_active`` is active."""
    return user is None or getattr(user, "is_active", True)


def _within_lifetime(refresh_token) -> bool:
    """DOT's lifetime rule for an unrevoked refresh token: it lives while paired with an access
    token, until ``REFRESH_TOKEN_EXPIRE_SECONDS`` after that access token expires."""
    access_token = refresh_token.access_token
    if access_token is None:
        return False
    lifetime = refresh_token_expire_timedelta()
    return not lifetime or access_token.expires + lifetime > timezone.now()


def refuse_user_outside_sandbox(client, request) -> None:
    """A code or refresh token of a user the app may not serve (a sandbox app, and a user who is
    neither its developer nor a listed test user any more) is ``invalid_grant``."""
    sandbox = client.environment == client.Environment.SANDBOX
    if sandbox and request.user is not None and not client.usable_by(request.user):
        raise errors.InvalidGrantError(
            description="This app is in the sandbox: only its developer and its test users "
            "may use it.",
            request=request,
        )
