"""RFC 7009 revocation: find the token and its owner in one read, then revoke it DOT's way.

The audit event names the token's owner, so the owner is read before the token dies. Clients
mostly revoke access tokens: the row read for the owner is then the very row DOT's shared
revoke path (``revoke_access_token``: its refresh token with it, RFC 7009 §2.1) takes, instead
of DOT's ``revoke_token`` reading it a second time. A refresh token, or a token the client does
not own, goes through DOT's ``revoke_token`` unchanged.
"""

from django.contrib.auth import get_user_model
from oauth2_provider.models import (
    get_access_token_model,
    get_refresh_token_model,
    revoke_access_token,
)

from oauth_portal.db import compiled_queries, model_instances
from oauth_portal.server.bearer import token_checksum


def access_token_of(*, token: str, application):
    """The access token ``application`` was issued that ``token`` is, or None; its ``user`` is
    loaded as far as the audit event needs it (the id), other fields load if read.

    As in DOT (RFC 7009 §2.1), only the authenticated client's own tokens count, and a
    request not tied to a stored client finds nothing. Compiled once per process
    (``compiled_queries``); the row is read fresh.
    """
    if getattr(application, "pk", None) is None:
        return None
    found = compiled_queries.values(
        "token-to-revoke",
        _token_rows,
        checksum=token_checksum(token),
        application_id=application.pk,
    )
    if not found:
        return None
    model = get_access_token_model()
    access_token = model_instances.loaded(
        model, application._state.db or "default", _columns(), found[0]
    )
    if access_token.user_id is not None:
        user_model = get_user_model()
        access_token.user = model_instances.loaded(
            user_model,
            access_token._state.db,
            [user_model._meta.pk.attname],
            [access_token.user_id],
        )
    return access_token


def _columns() -> list[str]:
    return [field.attname for field in get_access_token_model()._meta.concrete_fields]


def _token_rows(*, checksum: str, application_id: int):
    return (
        get_access_token_model()
        .objects.filter(token_checksum=checksum, application_id=application_id)
        .values_list(*_columns())
    )


def refresh_token_owner(*, token: str, application):
    """The user a refresh token of ``application`` was issued for, if any."""
    found = (
        get_refresh_token_model()
        .objects.select_related("user")
        .filter(token_checksum=token_checksum(token), application=application)
        .first()
    )
    return found.user if found is not None else None


def access_token_revoke(access_token) -> None:
    """Revoke an access token already read, and its refresh token, on DOT's shared path."""
    revoke_access_token(access_token)
