"""The claims about a user that an access token carries beyond RFC 9068's: ``permissions`` and
``roles`` (``roles.py``) and the admin's custom claims (``custom_claims.py``). A JWT access
token carries them as they were at issue; introspection answers them as they are now."""

from oauth_portal.server import custom_claims, registry, roles


def access_token_user_claims(
    *, user_id, audiences: list[str], scopes, user=None, role_rows=None
) -> dict:
    """The claims for a token of ``user_id`` for ``audiences`` granted ``scopes``; nothing for
    a token without a user (client credentials) or for no API. ``role_rows``: a function that
    answers the user's roles (``roles.token_user_roles_read``), else they are read here."""
    if user_id is None or not audiences:
        return {}
    claims = custom_claims.access_token_claims(user_id=user_id, audiences=audiences, user=user)
    if role_rows is None:
        claims.update(roles.role_claims(user_id=user_id, audiences=audiences, scopes=list(scopes)))
    else:
        claims.update(roles.role_claims_from(role_rows(), audiences=audiences, scopes=list(scopes)))
    return claims


def token_audiences(access_token) -> list[str]:
    """The APIs a stored token is for: its recorded audience (RFC 8707), or, when none was
    named, the APIs owning its scopes (the rule JWT access tokens are minted by)."""
    return list(access_token.resource or []) or registry.api_identifiers_owning(
        access_token.scope.split()
    )


def introspection_claims(access_token, *, role_rows) -> dict:
    """The claims an active token's introspection answer adds, as they are now: ``role_rows``
    answers its user's roles, read with the token (``introspection.ReadAhead``)."""
    return access_token_user_claims(
        user_id=access_token.user_id,
        audiences=token_audiences(access_token),
        scopes=access_token.scope.split(),
        role_rows=role_rows,
    )
