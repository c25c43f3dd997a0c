"""``manage.py check --deploy`` warnings for what a production authorization server must not
run with, beyond Django's own list. Each names the setting that fixes it."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from oauth_portal.server import app_settings

# Backends that deliver no mail: password resets and sign-up notices would be lost or printed.
_NON_DELIVERING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


@register(Tags.security, deploy=True)
def mail_is_delivered(app_configs, **kwargs):
    backend = settings.EMAIL_BACKEND
    if backend == "oauth_portal.server.mail_delivery.BackgroundEmailBackend":
        backend = app_settings.PORTAL_MAIL_DELIVERY_BACKEND
    if settings.DEBUG or backend not in _NON_DELIVERING_BACKENDS:
        return []
    return [
        Warning(
            f"E-mail goes to the {backend.rsplit('.', 2)[-2]} backend with debug off: "
            "password-reset links would be printed or lost, never delivered.",
            hint="Set DJANGO_EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587",
            id="oauth_portal.W001",
        )
    ]


@register(Tags.security, deploy=True)
def issuer_is_pinned(app_configs, **kwargs):
    if settings.OAUTH2_PROVIDER.get("OIDC_ISS_ENDPOINT"):
        return []
    return [
        Warning(
            "The issuer follows the Host header each request arrives with, so tokens from "
            "hosts reached under different names carry different issuers.",
            hint="Pin it: PORTAL_ISSUER=https://auth.example.com/o (OAUTH2_PROVIDER"
            "['OIDC_ISS_ENDPOINT'] on a host site).",
            id="oauth_portal.W002",
        )
    ]


@register(Tags.security, deploy=True)
def signing_keys_have_their_own_encryption_key(app_configs, **kwargs):
    if app_settings.PORTAL_SIGNING_KEY_ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "The signing keys are encrypted at rest under a key derived from SECRET_KEY: "
            "whoever holds a database backup and SECRET_KEY can sign tokens.",
            hint="Set PORTAL_SIGNING_KEY_ENCRYPTION_KEYS to a Fernet key kept apart from "
            "DJANGO_SECRET_KEY, then run manage.py reencrypt_signing_keys.",
            id="oauth_portal.W003",
        )
    ]
