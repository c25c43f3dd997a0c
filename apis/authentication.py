"""The resource APIs' bearer check (RFC 6750), for opaque and JWT access tokens.

DOT's ``OAuth2Authentication`` builds a whole oauthlib request (headers, body, query) for each
call and then asks the validator; we read the token from the ``Authorization`` header only (RFC
9700 §4.3.2: never from the query or body) and then:

- an opaque token goes to the same validator method (``validate_bearer_token``), which finds it
  through ``oauth_portal.bearer`` (one indexed query, or none when it is in the token cache) and
  checks expiry, the application and the audience as DOT does;
- a JWT access token (RFC 9068) is verified by ``oauth_portal.access_tokens`` with the published
  keys, and is live while its ``jti``'s row exists (no query while the token cache remembers it
  live, one indexed query otherwise; a flushed cache never revives a revoked token).

Either check falls back to the database when the token cache fails: a Redis outage is slower
checks and one warning a minute, never a 500.

Each accepted call is counted for the app's usage page (``oauth_portal.server.api_usage``:
counted per process, written in batches, on the API the path belongs to).

A refused token answers 401 ``invalid_token`` with DOT's challenge (``authenticate_header``),
plus RFC 9728's ``resource_metadata`` naming the API's metadata document.
"""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from oauth_portal.db import model_instances
from oauth_portal.server import access_tokens, api_usage, registry
from oauth_portal.server.resource_metadata import metadata_url_for_path


def bearer_token_in_header(request) -> str | None:
    """``Authorization: Bearer <token>`` (scheme case-insensitive), or None (oauthlib's rule)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


class BearerTokenAuthentication(OAuth2Authentication):
    def authenticate(self, request):
        token = bearer_token_in_header(request)
        if token is None:
            return None
        if access_tokens.looks_like_jwt(token):
            return self._authenticate_jwt(request, token)
        return self._authenticate_opaque(request, token)

    def authenticate_header(self, request):
        """DOT's RFC 6750 challenge, unchanged, with ``resource_metadata`` (RFC 9728 §5.1)
        appended when the path belongs to an API in the registry."""
        challenge = super().authenticate_header(request)
        url = metadata_url_for_path(request._request, request.path)
        return f'{challenge},resource_metadata="{url}"' if url else challenge

    def _authenticate_opaque(self, request, token):
        core_request = OAuthlibRequest(uri=request.path, http_method=request.method)
        validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
        if validator.validate_bearer_token(token, [], core_request):
            api = registry.api_serving(request.path)
            if api is not None:
                api_usage.api_call_count(
                    api_identifier=api.identifier,
                    application_id=core_request.access_token.application_id,
                )
            return core_request.user, core_request.access_token
        request.oauth2_error = getattr(core_request, "oauth2_error", {})
        return None

    def _authenticate_jwt(self, request, token):
        api = registry.api_serving(request.path)
        try:
            verified = access_tokens.verify(
                token,
                issuer=oauth2_settings.oidc_issuer(request._request),
                audience=api.identifier if api else None,
            )
        except access_tokens.Invalid as refusal:
            request.oauth2_error = {"error": "invalid_token", "error_description": str(refusal)}
            return None
        if api is not None:
            api_usage.api_call_count(api_identifier=api.identifier, client_id=verified.client_id)
        return user_for(verified), verified


def user_for(token: access_tokens.JwtAccessToken):
    """The token's user as a model instance without a query: only its id is known; any other
    field loads from the database if a view reads it. A client-credentials token has none."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    if token.user_id is None:
        return AnonymousUser()
    user_model = get_user_model()
    return model_instances.loaded(
        user_model, "default", [user_model._meta.pk.attname], [token.user_id]
    )
