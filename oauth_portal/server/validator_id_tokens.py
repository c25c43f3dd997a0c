"""What our ID tokens add to DOT's: ``amr`` and ``acr`` of the sign-in behind the grant (OIDC
Core §2) and the sign-in session's ``sid`` (Back-Channel Logout §2.1). A mixin of our
OAUTH2_VALIDATOR_CLASS (``oauth2_validators.py``)."""

from oauth_portal.server import access_tokens, sign_in_methods, sign_in_sessions
from oauth_portal.server.models import GrantSignIn, RedeemedCode

_UNREAD = object()


class IdTokenSignIn:
    def get_id_token_dictionary(self, token, token_handler, request):
        """DOT's claims plus ``amr`` and ``acr`` (OIDC Core §2) of the sign-in behind the grant.

        They come from the code being redeemed or, on refresh, from the code that started the
        token family; a grant from before they were recorded counts as a password sign-in.
        """
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        methods = getattr(request, "portal_sign_in_methods", None)
        if methods is None and request.grant_type == "refresh_token":
            # Read along with the family's sid (sign_in_sessions) when an ID token is signed.
            methods = getattr(request, "portal_family_sign_in_methods", _UNREAD)
            if methods is _UNREAD:
                methods = _family_sign_in_methods(request.refresh_token_instance)
        methods = methods or list(sign_in_methods.PASSWORD_ONLY)
        claims["amr"] = methods
        claims["acr"] = sign_in_methods.acr_for(methods)
        return claims, expiration_time

    def finalize_id_token(self, id_token, token, token_handler, request):
        # OIDC Back-Channel Logout §2.1: the sign-in session, as logout tokens will name it.
        if sid := sign_in_sessions.sid_for_token_request(request):
            id_token["sid"] = sid
        if request.client.algorithm == request.client.RS256_ALGORITHM:
            signed = self._finalize_rs256_id_token(id_token, token, token_handler, request)
        else:
            signed = super().finalize_id_token(id_token, token, token_handler, request)
        # On the request, never on self: DOT shares one validator instance across threads.
        request.portal_signed_id_token = (signed, request.id_token)
        return signed

    def _finalize_rs256_id_token(self, id_token, token, token_handler, request):
        """DOT's ``finalize_id_token`` for the server's RS256 key, cheaper by a third.

        The same claims, header (``typ``, ``alg``, ``kid``) and row. The signature is made with
        ``cryptography`` directly, the key and its ``kid`` loaded once per key
        (``access_tokens.sign``), where DOT's jwcrypto path re-derived the ``kid`` and rebuilt
        its header registries per token; and the row is written in the token request's own
        transaction, without DOT's savepoint (two round trips; a failure fails the request
        either way). ``tests/server/test_token_rows.py`` compares both ways' tokens.
        """
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:  # as DOT: oauthlib issue 746
            id_token["nonce"] = request.nonce
        signed = access_tokens.sign(id_token, typ="JWT")
        row = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = request.id_token = row  # as DOT leaves them (DRF reads the first)
        return signed


def grant_sign_in_methods(grant) -> list[str] | None:
    try:
        return list(grant.portal_sign_in.methods) if grant is not None else None
    except GrantSignIn.DoesNotExist:
        return None


def _family_sign_in_methods(refresh_token) -> list[str] | None:
    family = getattr(refresh_token, "token_family", None)
    if family is None:
        return None
    return (
        RedeemedCode.objects.filter(token_family=family)
        .values_list("sign_in_methods", flat=True)
        .first()
    )
