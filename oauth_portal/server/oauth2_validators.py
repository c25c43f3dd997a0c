"""Our OAUTH2_VALIDATOR_CLASS: DOT's validator plus the rules of RFC 9700 that DOT leaves open.

Each override calls DOT's own implementation and adds one rule or one audit event around it;
redeeming a code or a refresh token is in ``validator_redemption.py``, the allow-list re-checks
in ``validator_allow_list.py``, the ID token's sign-in claims in ``validator_id_tokens.py``, and
the token rows are written by ``validator_token_rows.py``.

Two rules hold at every step that mints from an earlier grant (code redemption, refresh), not
only at the authorization request: the user must still be active (DOT never checks), and the
client's allow-list (``Application.allowed_scopes``, and the APIs those scopes belong to for
RFC 8707 ``resource``) is read again, because an admin may have narrowed it since.
"""

from django.db import router, transaction
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_writes
from oauth_portal.server import (
    bearer,
    client_id_documents,
    client_secret_lifecycle,
    clients,
    custom_claims,
    device_flow,
    issued_tokens,
    offline_access,
    ratelimits,
    sign_in_sessions,
    tokens,
)
from oauth_portal.server.client_secrets import credentials_from_request
from oauth_portal.server.consents import consent_touch
from oauth_portal.server.models import GrantSignIn, JwtAccessToken
from oauth_portal.server.validator_allow_list import AllowListRechecks
from oauth_portal.server.validator_id_tokens import IdTokenSignIn
from oauth_portal.server.validator_redemption import GrantRedemption, user_is_active
from oauth_portal.server.validator_token_rows import CompiledTokenRows


class PortalOAuth2Validator(
    AllowListRechecks, GrantRedemption, IdTokenSignIn, CompiledTokenRows, OAuth2Validator
):
    def get_additional_claims(self):
        """OpenID claims; DOT releases each only when its scope (profile, email) was granted."""
        return {
            "name": lambda request: request.user.get_full_name() or request.user.get_username(),
            "given_name": lambda request: request.user.first_name,
            "family_name": lambda request: request.user.last_name,
            "preferred_username": lambda request: request.user.get_username(),
            "email": lambda request: request.user.email,
            # A host's user model may have no such field (Django's auth.User has none): unverified.
            "email_verified": lambda request: bool(getattr(request.user, "email_verified", False)),
        }

    def get_oidc_claims(self, token, token_handler, request):
        """DOT's claims for the ID token and userinfo, plus the admin's custom claims (which
        never replace a claim DOT set; their keys are namespaced URLs anyway)."""
        claims = super().get_oidc_claims(token, token_handler, request)
        return {**custom_claims.id_token_claims(user=request.user), **claims}

    def get_discovery_claims(self, request):
        """Discovery's ``claims_supported`` lists the custom claims ID tokens carry too."""
        return [*super().get_discovery_claims(request), *custom_claims.id_token_claim_keys()]

    def authenticate_client(self, request, *args, **kwargs):
        """Client authentication (RFC 6749 §2.3.1) against every secret the app accepts now.

        DOT compares one stored secret; an app mid-rotation accepts its previous secret too,
        until the grace period the developer chose ends (``client_secret_verify``).
        """
        client_id, secret = credentials_from_request(request)
        if secret is None and request.grant_type == device_flow.DEVICE_CODE_GRANT_TYPE:
            # oauthlib's device grant asks for client authentication whatever the client type;
            # a public client identifies itself with client_id alone (RFC 8628 §3.4).
            return bool(client_id) and self.authenticate_client_id(client_id, request)
        if not client_id or secret is None:
            return False
        application = self._load_application(client_id, request)
        if application is None:
            return False
        if not client_secret_lifecycle.client_secret_verify(application=application, secret=secret):
            return False
        ratelimits.client_authenticated(client_id)
        return True

    def _load_application(self, client_id, request):
        """DOT's lookup, which may fetch a client ID metadata document; a client made from one
        then gets the scopes it names (``client_id_documents``).

        The client's row is read with a query compiled once per process (``clients``); DOT then
        reuses it. A client made from a metadata document is left to DOT, which refreshes it
        when its document has gone stale.
        """
        client_id_documents.fetched_document_forget()
        if not request.client:
            # A view may have read the client already, with what it reads next (introspection).
            read_ahead = getattr(request, "portal_client_read_ahead", None)
            try:
                found = (
                    read_ahead[1]
                    if read_ahead and read_ahead[0] == client_id
                    else clients.application_for_client_id(client_id)
                )
            except ValueError:  # a client_id the database cannot compare (a NUL byte), as DOT
                return None
            if found is not None and found.registration_source != found.RegistrationSource.CIMD:
                request.client = found
        application = super()._load_application(client_id, request)
        if application is not None:
            client_id_documents.fetched_document_apply(application)
        return application

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """A request must name at least one scope, each one the app may ask for.

        RFC 6749 §3.3 lets us refuse a request without scope instead of guessing a default, and
        ``openid`` needs an app that can sign ID tokens.
        """
        if not scopes:
            return False
        if "openid" in scopes and client.algorithm != client.RS256_ALGORITHM:
            return False
        self._refuse_resources_not_allowed(client, request)
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        AuditEvent.objects.record(
            event=AuditEvent.Type.CODE_ISSUED,
            request=request,
            actor=request.user,
            user=request.user,
            application=request.client,
            scope=" ".join(request.scopes or []),
        )

    def _create_authorization_code(self, request, code, expires=None):
        """DOT's grant row, and beside it how the user signed in (the view passes it in the
        credentials), for the ID token the code will bring."""
        grant = super()._create_authorization_code(request, code, expires=expires)
        methods = getattr(request, "portal_sign_in_methods", None)
        if methods:
            GrantSignIn.objects.create(grant=grant, methods=methods)
        return grant

    def _load_access_token(self, token):
        """Every bearer check (userinfo, the APIs) finds the token through the token cache."""
        return bearer.access_token_for(token)

    def validate_bearer_token(self, token, scopes, request):
        """DOT's check, and the token's user must be active (the token cache keeps
        ``is_active``, so this costs no query). Deactivation revokes the user's tokens; this
        refuses one that survived anyway, e.g. a user switched off by a bulk ``update()``."""
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if not user_is_active(request.user):
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The access token is invalid.",
            }
            return False
        return True

    def get_userinfo_claims(self, request):
        """Userinfo answers from the user's current row, never from the token cache's copy."""
        request.user.refresh_from_db()
        return super().get_userinfo_claims(request)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(
            expires, request, token, source_refresh_token=source_refresh_token
        )
        issued_tokens.access_token_issued(access_token)
        claims = getattr(request, "jwt_access_token_claims", None)
        if claims is not None:
            compiled_writes.insert(
                JwtAccessToken(
                    access_token=access_token, jti=claims["jti"], expires=access_token.expires
                )
            )
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        if request.grant_type == "authorization_code":
            request.portal_token_family = refresh_token.token_family
            # Refreshed ID tokens carry the code's sid, found through the token family.
            sign_in_sessions.session_client_link_family(
                code=request.code, token_family=refresh_token.token_family, scopes=request.scopes
            )
        return refresh_token

    def save_bearer_token(self, token, request, *args, **kwargs):
        """DOT's, in the token request's own transaction rather than in a savepoint inside it.

        The token view runs each request in one transaction. A failure while saving marks the
        whole of it for rollback, so the response is an error and nothing of the request is
        kept: a savepoint would add nothing but two round trips on every token issued.
        """
        database = router.db_for_write(get_access_token_model())
        with transaction.atomic(using=database, savepoint=False):
            return self._save_bearer_token(token, request, *args, **kwargs)

    def _save_bearer_token(self, token, request, *args, **kwargs):
        # oauthlib sends this very dict as the response: what is taken out here is not issued.
        if not offline_access.refresh_token_allowed(
            application=request.client, scopes=request.scopes
        ):
            token.pop("refresh_token", None)
        super()._save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code":
            tokens.authorization_code_redeemed(
                code=request.code,
                application=request.client,
                user=request.user,
                token=token,
                sign_in_methods=getattr(request, "portal_sign_in_methods", None),
                token_family=getattr(request, "portal_token_family", None)
                if "refresh_token" in token
                else None,
            )
        if request.grant_type == device_flow.DEVICE_CODE_GRANT_TYPE:
            device_flow.device_grant_consume(request)
        consent_touch(user=request.user, application=request.client)
        tokens.token_issue_record(request=request, token=token)

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        from oauth_portal.server import revocation

        with transaction.atomic():
            # Read the owner first: revoking an access token deletes its row. That row is the
            # one revoked (revocation.py); anything else goes through DOT's own lookup.
            access_token = revocation.access_token_of(token=token, application=request.client)
            if access_token is not None:
                owner = access_token.user
                revocation.access_token_revoke(access_token)
            else:
                owner = revocation.refresh_token_owner(token=token, application=request.client)
                super().revoke_token(token, token_type_hint, request, *args, **kwargs)
            AuditEvent.objects.record(
                event=AuditEvent.Type.TOKEN_REVOKED,
                request=request,
                user=owner,
                application=request.client,
                token_type_hint=token_type_hint or "",
            )

    def validate_silent_login(self, request) -> bool:
        """``prompt=none``: DOT only validates the request once the user is signed in."""
        return True

    def validate_silent_authorization(self, request) -> bool:
        """``prompt=none``: oauthlib asks before it knows the user, so the answer comes later.

        Our AuthorizationView checks the user's stored consent once the request is valid and
        answers ``consent_required`` itself when the consent does not cover the request.
        """
        return True
