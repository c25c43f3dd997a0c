"""DOT's three token-row writers, writing the very same rows through ``compiled_writes``.

A code exchange writes an ID token, an access token and a refresh token; DOT builds each
instance and calls ``save()``, and the ORM's save cost about 0.3 ms of CPU per row, most of it
rebuilding the same ``INSERT`` for every token. These methods build the instances exactly as
DOT 3.4 does (same fields, same values, ``_set_token_value`` for the stored checksum) and write
them with ``compiled_writes.insert``, which saves as ``Model.save`` does, signals included.
``tests/server/test_token_rows.py`` writes a row both ways and compares them field by field,
so a DOT upgrade that adds a field fails there rather than storing less.

A client-credentials token that is opaque goes with the request's other held-back writes (its
audit event) in one round trip: no row links to it (no refresh token, no ``JwtAccessToken``),
and the token view writes the batch before ``app_authorized`` hands the row to receivers, so
they get it saved, with its id, as from DOT. Every other access token is written at once, for
the refresh token or the JWT's row that refers to it.

One difference: DOT links the access token to the ID token just signed by verifying that token
again and querying its row (``_load_id_token``); the row signed for this request is at hand on
the request (``validator_id_tokens``), so it is used. Any other ID token is loaded as DOT does.
"""

import uuid

from oauth2_provider.models import (
    get_access_token_model,
    get_id_token_model,
    get_refresh_token_model,
)

from oauth_portal.db import compiled_writes


class CompiledTokenRows:
    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        id_token = token.get("id_token", None)
        if id_token:
            signed, row = getattr(request, "portal_signed_id_token", (None, None))
            id_token = row if id_token == signed else self._load_id_token(id_token)
        access_token = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(access_token, token["access_token"])
        compiled_writes.insert(access_token, hold=_nothing_links_to_it(request))
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        family = previous.token_family if previous else uuid.uuid4()
        refresh_token = get_refresh_token_model()(
            user=request.user,
            application=request.client,
            access_token=access_token,
            token_family=family,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(refresh_token, refresh_token_code)
        compiled_writes.insert(refresh_token)
        return refresh_token

    def _save_id_token(self, jti, request, expires, *args, **kwargs):
        id_token = get_id_token_model()(
            user=request.user,
            scope=request.scope or " ".join(request.scopes),
            expires=expires,
            jti=jti,
            application=request.client,
        )
        compiled_writes.insert(id_token)
        return id_token


def _nothing_links_to_it(request) -> bool:
    return (
        request.grant_type == "client_credentials"
        and getattr(request, "jwt_access_token_claims", None) is None
    )
