"""OpenID Connect and metadata: discovery, the JWKS, RFC 8414 metadata, userinfo, RP-initiated
logout.

DOT reads the signing keys from the ``OIDC_RSA_PRIVATE_KEY`` settings, which we leave unset: ours
live in the database (signing_keys.py). The JWKS comes from there, and the two metadata documents
list the JWKS and RS256 themselves."""

import json

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import render
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import (
    InvalidIDTokenError,
    InvalidOIDCClientError,
)
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import input_rules, sign_in_methods, signing_keys
from oauth_portal.server.discovery import standards_metadata
from oauth_portal.server.oauth_server import SUPPORTED_GRANT_TYPES
from oauth_portal.server.views.common import labelled_as_json, public_json_document

# Introspection is for resource servers, which authenticate; public clients ("none") cannot.
INTROSPECTION_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class ConnectDiscoveryInfoView(dot_views.ConnectDiscoveryInfoView):
    """OpenID discovery, listing only what this server really supports.

    DOT advertises HS256 beside RS256 (and only HS256 without the OIDC_RSA_PRIVATE_KEY setting,
    which we leave unset); we sign with RS256 only. DOT always lists ``jwks_uri`` here. The
    document also names the revocation and introspection endpoints, as the RFC 8414 metadata does.
    """

    hostile_input_rule = input_rules.OAUTH_JSON

    def get(self, request, *args, **kwargs):
        document = json.loads(super().get(request, *args, **kwargs).content)
        document["id_token_signing_alg_values_supported"] = ["RS256"]
        document["grant_types_supported"] = list(SUPPORTED_GRANT_TYPES)
        document["code_challenge_methods_supported"] = ["S256"]
        document["revocation_endpoint"] = self._get_endpoint_url(
            request, "revoke-token", required=True
        )
        document["introspection_endpoint"] = self._get_endpoint_url(
            request, "introspect", required=True
        )
        document["revocation_endpoint_auth_methods_supported"] = document[
            "token_endpoint_auth_methods_supported"
        ]
        document["introspection_endpoint_auth_methods_supported"] = INTROSPECTION_AUTH_METHODS
        document.update(standards_metadata(request, self._get_endpoint_url))
        document.update(device_flow_metadata(self, request))
        document.update(BACKCHANNEL_LOGOUT_METADATA)
        document["acr_values_supported"] = list(sign_in_methods.ACR_VALUES_SUPPORTED)
        return public_json_document(document)


# OpenID Connect Back-Channel Logout 1.0 §2.1 (logout_notifications.py).
BACKCHANNEL_LOGOUT_METADATA = {
    "backchannel_logout_supported": True,
    "backchannel_logout_session_supported": True,
}


def device_flow_metadata(view, request) -> dict:
    """RFC 8628 §4: where a device starts the device flow."""
    return {
        "device_authorization_endpoint": view._get_endpoint_url(
            request, "device-authorization", required=True
        )
    }


class OAuthServerMetadataView(dot_views.OAuthServerMetadataView):
    """RFC 8414 metadata for our one issuer (``<host>/o``); any other issuer path is a 404."""

    hostile_input_rule = input_rules.OAUTH_JSON

    def get(self, request, *args, issuer_path: str = "o", **kwargs):
        if issuer_path.strip("/") != "o":
            raise Http404("No authorization server with that issuer here.")
        document = json.loads(super().get(request, *args, **kwargs).content)
        document["introspection_endpoint_auth_methods_supported"] = INTROSPECTION_AUTH_METHODS
        # DOT lists the JWKS only when the OIDC_RSA_PRIVATE_KEY setting is set; ours never is.
        if oauth2_settings.OIDC_ENABLED:
            document["jwks_uri"] = self._get_endpoint_url(request, "jwks-info", required=True)
        document.update(standards_metadata(request, self._get_endpoint_url))
        document.update(device_flow_metadata(self, request))
        return public_json_document(document)


class JwksInfoView(dot_views.JwksInfoView):
    """The JWKS: the current signing key, then the retired ones still published, read from the
    database. DOT's view publishes the keys in its settings; the document and headers are its."""

    hostile_input_rule = input_rules.OAUTH_JSON

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)  # DOT's CORS and cache headers
        keys = []
        for pem in [
            signing_keys.current_private_key_pem(),
            *signing_keys.retired_private_key_pems(),
        ]:
            key = jwk_from_pem(pem)
            data = {"alg": "RS256", "use": "sig", "kid": key.thumbprint()}
            data.update(key.export_public(as_dict=True))
            keys.append(data)
        response.content = JsonResponse({"keys": keys}).content
        return response


class RPInitiatedLogoutView(dot_views.RPInitiatedLogoutView):
    """OpenID Connect RP-initiated logout, on the audit log.

    DOT follows a ``post_logout_redirect_uri`` registered on the app a bare ``client_id`` names;
    anyone can copy a client id, so that made /o/logout/ a redirector to any app's address,
    suspended apps' included. We follow one only for an app proven by a verified
    ``id_token_hint`` (which DOT checks against the ``client_id`` when both are sent) and usable
    by the token's user (a suspended app never; a pending one only for its developer).
    Otherwise the user is signed out as usual and sees our signed-out page.
    """

    hostile_input_rule = input_rules.OAUTH_PAGE

    template_name = "oauth_portal/server/logout_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        self.proven_application = None
        return super().dispatch(request, *args, **kwargs)

    def validate_logout_request(self, id_token_hint, client_id, post_logout_redirect_uri):
        """DOT's checks, with malformed hints and unknown clients refused instead of a 500.

        Without a hint the return address is never followed, so DOT need not check it.
        """
        try:
            application, token_user = super().validate_logout_request(
                id_token_hint, client_id, post_logout_redirect_uri if id_token_hint else None
            )
        except ObjectDoesNotExist as exc:
            raise InvalidOIDCClientError() from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidIDTokenError() from exc
        if id_token_hint and application is not None and application.usable_by(token_user):
            self.proven_application = application
        return application, token_user

    def get_initial(self):
        initial = super().get_initial()
        if self.proven_application is None:
            initial["post_logout_redirect_uri"] = None
        return initial

    def get_context_data(self, **kwargs):
        # An app named by a bare client id is not shown: the page would vouch for it.
        if self.proven_application is None:
            kwargs.pop("application", None)
        return super().get_context_data(**kwargs)

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        application = self.proven_application
        if application is None:
            post_logout_redirect_uri = None
        user = self.request.user if self.request.user.is_authenticated else token_user
        response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        if user is not None:
            AuditEvent.objects.record(
                event=AuditEvent.Type.SIGNED_OUT,
                request=self.request,
                actor=user,
                user=user,
                application=application,
                initiated_by="relying_party",
            )
        if not post_logout_redirect_uri:
            return render(self.request, "oauth_portal/server/logged_out.html")
        return response


class UserInfoView(dot_views.UserInfoView):
    """OIDC userinfo; the access token only in the Authorization header (RFC 9700 §4.3.2)."""

    hostile_input_rule = input_rules.OAUTH_JSON

    def dispatch(self, request, *args, **kwargs):
        if "access_token" in request.GET:
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Send the access token in the Authorization header.",
                },
                status=400,
            )
            response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
            return response
        return labelled_as_json(super().dispatch(request, *args, **kwargs))
