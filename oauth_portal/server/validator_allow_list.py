"""The client's allow-list, read again at every step that mints from an earlier grant (code
redemption, refresh), not only at the authorization request: an admin may have narrowed it
since. A mixin of our OAUTH2_VALIDATOR_CLASS (``oauth2_validators.py``), on DOT's own hooks."""

from urllib.parse import parse_qsl

from oauth2_provider.scopes import get_scopes_backend
from oauthlib.oauth2.rfc6749 import errors

from oauth_portal.server import api_access, roles
from oauth_portal.server.audiences import resources_allowed_for
from oauth_portal.server.scopes import ScopeRegistry


class AllowListRechecks:
    def _refuse_resources_not_allowed(self, client, request) -> None:
        """RFC 8707: a client may ask for a token only for APIs it is allowed (invalid_target)."""
        requested = {
            value
            for key, value in [*(request.decoded_body or []), *parse_qsl(request.uri_query or "")]
            if key == "resource"
        }
        not_allowed = requested - resources_allowed_for(client) if requested else set()
        if not_allowed:
            raise errors.CustomOAuth2Error(
                error="invalid_target",
                description="This client may not ask for a token for: "
                + " ".join(sorted(not_allowed)),
                request=request,
            )

    @staticmethod
    def _allowed_scopes(client, request) -> set[str]:
        return set(get_scopes_backend().get_available_scopes(application=client, request=request))

    def _allowed_and_withheld_scopes(self, client, request) -> tuple[set[str], set | None]:
        """The scopes the client may ask for, and those the user's roles withhold, read in one
        query from our scope registry; with another SCOPES_BACKEND_CLASS, the backend's scopes
        and ``None`` (the roles are then read on their own)."""
        if isinstance(get_scopes_backend(), ScopeRegistry) and client.pk:
            allowed, withheld = api_access.scopes_available_and_withheld(client, user=request.user)
            return set(allowed), withheld
        return self._allowed_scopes(client, request), None

    def _still_allowed_scopes(self, client, request, scopes) -> list[str]:
        """The grant's ``scopes`` the client may still ask for; none left is ``invalid_grant``.

        What was granted but is no longer allowed is dropped, not refused: RFC 6749 §3.3 lets
        the server issue less than asked (the response's ``scope`` then says what was issued),
        so a client keeps working with what it may still use, as Keycloak does. A grant with
        nothing allowed left is dead, and the client must send the user through authorization.
        """
        allowed, withheld = self._allowed_and_withheld_scopes(client, request)
        kept = [scope for scope in scopes if scope in allowed]
        if not kept:
            raise errors.InvalidGrantError(
                description="This client may no longer ask for any scope this grant holds.",
                request=request,
            )
        # APIs that enforce roles issue a user only the scopes their roles permit (roles.py).
        if withheld is None:
            kept = roles.scopes_permitted_by_roles(user=request.user, scopes=kept)
        else:
            kept = [scope for scope in kept if scope not in withheld]
        if not kept:
            raise errors.InvalidGrantError(
                description="The user's roles permit none of the scopes this grant holds.",
                request=request,
            )
        return kept

    def _still_allowed_resources(self, client, request, inherited) -> list[str]:
        """The APIs the grant was for (RFC 8707) that the client may still ask for.

        An explicit ``resource`` the client may not use is ``invalid_target``. An inherited
        audience is narrowed like the scopes, but never to nothing: an empty audience would
        make the new token good at every API, wider than the grant, so that is ``invalid_grant``.
        DOT records the narrowed list on the token (``_check_and_set_request_resource``).
        """
        self._refuse_resources_not_allowed(client, request)
        if not inherited:
            return []
        allowed = resources_allowed_for(client)
        kept = [resource for resource in inherited if resource in allowed]
        if not kept:
            raise errors.InvalidGrantError(
                description="This client may no longer ask for a token for the APIs this "
                "grant is for.",
                request=request,
            )
        request.allowed_resources = allowed
        return kept

    def _check_and_set_request_resource(self, request):
        super()._check_and_set_request_resource(request)
        allowed = getattr(request, "allowed_resources", None)
        if allowed is not None:
            request.resource = [resource for resource in request.resource if resource in allowed]
