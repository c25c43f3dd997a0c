"""Passkeys through django-otp-webauthn: its ceremony views, with our rules around them.

Registering needs a recent sign-in and a finished second step; a passkey used at the second
step completes it (``amr`` ``hwk``); used on the sign-in page it is the whole sign-in. A passkey
sign-in needs user verification (a PIN or biometric on the authenticator: the library asks for
it when nobody is signed in), so it counts as multi-factor, as Azure AD and Google count it.
"""

import json

from django.contrib.auth import authenticate, login
from django.middleware import csrf
from django.urls import reverse
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.helpers import WebAuthnHelper

from oauth_portal.audit.models import AuditEvent
from oauth_portal.mfa import app_settings, factors, sign_in

PASSKEY_FIRST_FACTOR = ("hwk", "mfa")


def relying_party_id(request) -> str:
    """OTP_WEBAUTHN_RP_ID_CALLABLE: this site's host as reached (ALLOWED_HOSTS vouches for
    it), unless PORTAL_MFA_WEBAUTHN_RP_ID pins it."""
    return app_settings.PORTAL_MFA_WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]


def relying_party_name(request) -> str:
    return app_settings.PORTAL_MFA_ISSUER_NAME


class PortalWebAuthnHelper(WebAuthnHelper):
    """Passkeys are good for the origin the site is reached on, unless
    PORTAL_MFA_WEBAUTHN_ORIGINS lists the origins (the library wants a fixed list)."""

    def get_allowed_origins(self) -> list[str]:
        return list(app_settings.PORTAL_MFA_WEBAUTHN_ORIGINS) or [
            self.request.build_absolute_uri("/").rstrip("/")
        ]


class RecentSignInRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "reauthentication_required"
    default_detail = "Confirm your password again before adding a passkey."


class PasskeyRegisterBeginView(webauthn_views.BeginCredentialRegistrationView):
    def check_can_register(self):
        if sign_in.second_step_pending(self.request) or not sign_in.recently_authenticated(
            self.request
        ):
            raise RecentSignInRequired()


class PasskeyRegisterCompleteView(webauthn_views.CompleteCredentialRegistrationView):
    check_can_register = PasskeyRegisterBeginView.check_can_register

    def post(self, *args, **kwargs):
        already_multi_factor = sign_in.is_multi_factor(self.request)
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            credential = factors.WebAuthnCredential.objects.get(
                user=self.request.user, pk=json.loads(response.content)["id"]
            )
            factors.passkey_registered(
                user=self.request.user, credential=credential, request=self.request
            )
            if not already_multi_factor:
                sign_in.second_factor_confirmed(self.request, device=credential, method="hwk")
        return response


class PasskeyAuthBeginView(webauthn_views.BeginCredentialAuthenticationView):
    pass


class PasskeyAuthCompleteView(webauthn_views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        """At the second step (or a step-up) the passkey must be the signed-in user's; on the
        sign-in page it signs its owner in, multi-factor from the start."""
        request = self.request
        if request.user.is_authenticated:
            if device.user_id != request.user.pk:
                raise exceptions.CredentialUserMismatch()
            sign_in.second_factor_confirmed(request, device=device, method="hwk")
            return
        setattr(request, sign_in.FIRST_FACTOR_ATTRIBUTE, PASSKEY_FIRST_FACTOR)
        user = authenticate(request, webauthn_credential=device)
        if user is None:
            raise exceptions.UserDisabled()
        login(request, user)
        otp_login(request, device)
        AuditEvent.objects.record(
            event=AuditEvent.Type.SIGN_IN_SUCCEEDED,
            request=request,
            actor=user,
            user=user,
            method="passkey",
        )


def passkey_configuration(request) -> dict:
    """What django-otp-webauthn's scripts read (its template tags name its own URLs; ours
    are our subclasses)."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("portal_mfa:passkey-auth-begin"),
        "completeAuthenticationUrl": reverse("portal_mfa:passkey-auth-complete"),
        "beginRegistrationUrl": reverse("portal_mfa:passkey-register-begin"),
        "completeRegistrationUrl": reverse("portal_mfa:passkey-register-complete"),
    }
