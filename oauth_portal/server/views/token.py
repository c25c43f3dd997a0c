"""The client endpoints: token, introspection and revocation, each rate limited and, for
introspection and revocation, only for an authenticated client."""

import json

from django.db import router, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauthlib.common import Request as OAuthlibRequest

from oauth_portal.db import compiled_writes
from oauth_portal.observability import metrics
from oauth_portal.server import (
    bearer,
    input_rules,
    introspection,
    issued_tokens,
    token_claims,
)
from oauth_portal.server.audiences import audience_as_resource
from oauth_portal.server.client_secrets import parse_client_credentials
from oauth_portal.server.ratelimits import ClientEndpointRateLimitMixin
from oauth_portal.server.views.common import (
    INVALID_CLIENT_BODY,
    labelled_as_json,
    repeated_parameters,
)


# Machine-to-machine endpoints authenticate clients, not browsers: no CSRF (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class TokenView(ClientEndpointRateLimitMixin, dot_views.TokenView):
    """The token endpoint, in one database transaction per request.

    With our validator's row locks (and IMMEDIATE transactions on SQLite) this makes racing
    redemptions of one code or one refresh token queue, so exactly one of them wins. The writes
    nothing reads again in the request (the audit event, the redeemed code's record, the code's
    deletion, the consent's last use) are sent together at its end, inside that transaction
    (``compiled_writes.batched``): one round trip on PostgreSQL.
    """

    hostile_input_rule = input_rules.CLIENT_ENDPOINT

    def post(self, request, *args, **kwargs):
        if repeated := repeated_parameters(request.POST):
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Repeated parameter: " + ", ".join(repeated),
                },
                status=400,
            )
            response["Cache-Control"] = "no-store"
            return response
        if (with_resource := audience_as_resource(request.POST)) is not None:
            request.POST = with_resource
        # DOT routes the device grant around oauthlib (a 500 on a missing device_code, a 404
        # on an unknown one, no slow_down); every grant goes to oauthlib here, the device
        # grant's rules in device_flow.device_grant_poll.
        with transaction.atomic(), compiled_writes.batched():
            response = self.authorization_flow_token_response(request)
        response["Cache-Control"] = "no-store"
        # A device politely polling (RFC 8628 §3.5) is waiting, not refused: a building full of
        # TVs behind one address must not meet the address's ceiling on refused requests.
        response.not_a_refusal = b'"authorization_pending"' in response.content
        response = labelled_as_json(response)
        metrics.token_error_count(response)
        return response

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        """DOT's, without reading back the access token it has just written.

        DOT finds the issued token's row by its checksum to send ``app_authorized`` with it;
        the validator hands the row over instead. Only when no row was written (a refresh in
        DOT's grace period answers with the token issued before) is it read as DOT does.
        """
        with issued_tokens.issued_access_token_capture() as issued:
            _, headers, body, status = self.create_token_response(request)
        if status == 200:
            token = issued.row
            if token is None and (raw := json.loads(body).get("access_token")):
                token = get_access_token_model().objects.get(
                    token_checksum=bearer.token_checksum(raw)
                )
            if token is not None:
                if token.pk is None:  # held back for the batch: receivers get the saved row
                    compiled_writes.send_held(router.db_for_write(type(token)))
                app_authorized.send(sender=self, request=request, token=token)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


def authenticated_client(request, *, read_ahead=None):
    """The client ``request`` authenticates as with its credentials, or None.

    Our validator checks the credentials as at the token endpoint and loads the client onto the
    oauthlib request (with the query compiled once per process, unless ``read_ahead`` holds it
    already); DOT's own ``authenticate_client`` answers only yes or no.
    """
    core_request = OAuthlibRequest(
        uri=request.path,
        http_method=request.method,
        body=list(request.POST.items()),
        headers={"HTTP_AUTHORIZATION": request.META.get("HTTP_AUTHORIZATION", "")},
    )
    if read_ahead is not None:
        core_request.portal_client_read_ahead = (read_ahead.client_id, read_ahead.client)
    if oauth2_settings.OAUTH2_VALIDATOR_CLASS().authenticate_client(core_request):
        return core_request.client
    return None


class ClientAuthenticationRequiredMixin:
    """RFC 7662 §2.1 and RFC 7009 §2.1: only an authenticated client may ask.

    DOT's introspection view also accepts a bearer token, and answers 403 when nobody
    authenticates; we require client credentials and answer 401 ``invalid_client``. The
    authenticated client is kept on ``request.portal_client``.
    """

    read_ahead = None

    def authenticate_client(self, request) -> bool:
        """Once per request: DOT's view authenticates the client again after our check."""
        if not hasattr(request, "portal_client"):
            self.read_ahead = self.read_with_client(request)
            request.portal_client = authenticated_client(request, read_ahead=self.read_ahead)
        return request.portal_client is not None

    def read_with_client(self, request):
        """What the view will need, read with the client (its ``client`` and ``client_id``
        serve the authentication); None reads the client alone."""
        return None

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not self.authenticate_client(request):
            response = JsonResponse(INVALID_CLIENT_BODY, status=401)
            response["WWW-Authenticate"] = 'Basic realm="oauth"'
            response["Cache-Control"] = "no-store"
            return response
        return super().dispatch(request, *args, **kwargs)


def introspection_allowed(*, client, answer: dict, apis_served) -> bool:
    """Whether ``client`` may learn about the live token DOT described in ``answer``: its own
    token, or a token for an API it serves (``apis_served()`` answers which, with their scopes:
    ``clients.served_from``). A token's recorded audience (RFC 8707) names its APIs; a token
    without one is for every API whose scopes it carries."""
    if answer.get("client_id") == client.client_id:
        return True
    served = apis_served()
    audiences = answer.get("aud") or []
    if isinstance(audiences, str):
        audiences = [audiences]
    if audiences:
        return any(audience in served for audience in audiences)
    scopes = set(answer.get("scope", "").split())
    return any(scopes & api_scopes for api_scopes in served.values())


# Machine-to-machine endpoints authenticate clients, not browsers: no CSRF (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class IntrospectTokenView(
    ClientEndpointRateLimitMixin, ClientAuthenticationRequiredMixin, dot_views.IntrospectTokenView
):
    """RFC 7662 introspection, answered only about tokens the asking client may know of.

    Any client can register in the portal, so DOT's answer (who the user is, what was granted,
    to which client) goes only to the token's own client and to the resource servers of an API
    the token is for; anyone else gets ``{"active": false}``, exactly as for an unknown token,
    so not even the token's existence leaks (RFC 7662 §2.2). The user's name goes out only when
    the token was granted ``profile``.
    """

    hostile_input_rule = input_rules.INTROSPECTION

    http_method_names = ["post", "options"]

    def read_with_client(self, request):
        """The token, the APIs the client serves and the roles of the token's user, in the
        client's round trip (``introspection.ReadAhead``)."""
        client_id, _ = parse_client_credentials(
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
            body_client_id=request.POST.get("client_id"),
            body_client_secret=request.POST.get("client_secret"),
        )
        token_value = request.POST.get("token")
        if not client_id or token_value is None or "\x00" in client_id:
            return None  # refused by the authentication or by DOT (no token): nothing to read
        return introspection.ReadAhead(client_id=client_id, token_value=token_value)

    def get_token_response(self, token_value=None):
        if token_value is None:
            return super().get_token_response(token_value)  # DOT's 400: no token parameter
        client = self.request.portal_client
        read = self.read_ahead
        if read is None or (read.client_id, read.token_value) != (client.client_id, token_value):
            read = introspection.ReadAhead(client_id=client.client_id, token_value=token_value)
        # One read of the token serves DOT's fields and ours (introspection.py).
        token = read.access_token()
        if token is None or not token.is_valid():
            return JsonResponse({"active": False})
        answer = introspection.active_token_answer(token)
        if not introspection_allowed(client=client, answer=answer, apis_served=read.apis_served):
            return JsonResponse({"active": False})
        if "profile" not in answer.get("scope", "").split():
            answer.pop("username", None)
        answer.update(subject_and_issuer(self.request, token))
        # permissions, roles and custom claims, as a JWT access token carries them.
        claims = token_claims.introspection_claims(token, role_rows=read.role_rows)
        return JsonResponse({**claims, **answer})

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


def subject_and_issuer(request, token: introspection.IntrospectedToken) -> dict:
    """``sub`` and ``iss`` as a JWT access token carries them (RFC 9068 §2.2: the user's id, or
    the client id when no user is involved), so a gateway checks opaque and JWT tokens alike."""
    return {
        "iss": oauth2_settings.oidc_issuer(request),
        "sub": str(token.user_id) if token.user_id is not None else token.client_id,
    }


# Machine-to-machine endpoints authenticate clients, not browsers: no CSRF (as in DOT).
@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(ClientEndpointRateLimitMixin, dot_views.RevokeTokenView):
    """RFC 7009 revocation (DOT's), rate limited; answers are never cached."""

    hostile_input_rule = input_rules.CLIENT_ENDPOINT

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response
