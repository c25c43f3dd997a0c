"""The claims about a user that an access token carries beyond RFC 9068's: ``permissions`` and
``roles`` (``roles.py``) and the admin's custom claims (``custom_claims.py``). A JWT access
token carries them as they were at issue; introspection answers them as they are now."""

from oauth_portal.server import custom_claims, registry, roles


def access_token_user_claims(*, user_id, audiences: list[str], scopes, user=None) -> dict:
    """The claims for a token of ``user_id`` for ``audiences`` granted ``scopes``; nothing for
    a token without a user (client credentials) or for no API."""
    if user_id is None or not audiences:
        return {}
    claims = custom_claims.access_token_claims(user_id=user_id, audiences=audiences, user=user)
    claims.update(roles.role_claims(user_id=user_id, audiences=audiences, scopes=list(scopes)))
    return claims


def token_audiences(access_token) -> list[str]:
    """The APIs a stored token is for: its recorded audience (RFC 8707), or, when none was
    named, the APIs owning its scopes (the rule JWT access tokens are minted by)."""
    return list(access_token.resource or []) or registry.api_identifiers_owning(
        access_token.scope.split()
    )


def introspection_claims(access_token) -> dict:
    """The claims an active token's introspection answer adds, read from the database now."""
    return access_token_user_claims(
        user_id=access_token.user_id,
        audiences=token_audiences(access_token),
        scopes=access_token.scope.split(),
    )
