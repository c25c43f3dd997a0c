"""The settings a site adds to turn on two-step verification (see docs/mfa.md)::

    from oauth_portal.mfa.defaults import *  # noqa: F403

    INSTALLED_APPS += MFA_INSTALLED_APPS
    # New lists, not +=: PORTAL_MIDDLEWARE and AUTHENTICATION_BACKENDS are shared objects.
    MIDDLEWARE = [*MIDDLEWARE, *MFA_MIDDLEWARE]  # after AuthenticationMiddleware
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, *MFA_AUTHENTICATION_BACKENDS]
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, *MFA_SILENCED_SYSTEM_CHECKS]

and in ``urls.py`` ``path("accounts/two-step/", include("oauth_portal.mfa.urls"))``.
"""

__all__ = [
    "MFA_AUTHENTICATION_BACKENDS",
    "MFA_INSTALLED_APPS",
    "MFA_MIDDLEWARE",
    "OTP_STATIC_THROTTLE_FACTOR",
    "OTP_TOTP_THROTTLE_FACTOR",
    "OTP_WEBAUTHN_HELPER_CLASS",
    "OTP_WEBAUTHN_RP_ID_CALLABLE",
    "OTP_WEBAUTHN_RP_NAME_CALLABLE",
    "MFA_SILENCED_SYSTEM_CHECKS",
]

MFA_INSTALLED_APPS = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "oauth_portal.mfa",
]

MFA_MIDDLEWARE = [
    "django_otp.middleware.OTPMiddleware",
    "oauth_portal.mfa.middleware.SecondStepMiddleware",
]

MFA_AUTHENTICATION_BACKENDS = ["django_otp_webauthn.backends.WebAuthnBackend"]

# django-otp's own throttling slows a device down for everyone after failures; ours counts
# failures per (account, address) as sign-in does (oauth_portal/mfa/code_limits.py).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

OTP_WEBAUTHN_HELPER_CLASS = "oauth_portal.mfa.passkeys.PortalWebAuthnHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "oauth_portal.mfa.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "oauth_portal.mfa.passkeys.relying_party_name"
# The library checks for a fixed OTP_WEBAUTHN_ALLOWED_ORIGINS; our helper takes the origin the
# site is reached on (or PORTAL_MFA_WEBAUTHN_ORIGINS).
MFA_SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
