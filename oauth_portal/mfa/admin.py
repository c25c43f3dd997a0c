"""The admin's side of two-step verification: an action on the site's user admin that resets a
user's factors (audited). django-otp's own device admins are taken away: they show TOTP keys
and recovery codes, which no admin should read."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model

from oauth_portal.mfa.factors import factors_reset


@admin.action(description="Reset two-step verification (remove all second factors)")
def reset_two_step_verification(modeladmin, request, queryset):
    for user in queryset:
        factors_reset(user=user, actor=request.user, request=request)
    modeladmin.message_user(
        request,
        f"Two-step verification reset for {queryset.count()} user(s): their next sign-in asks "
        "for the password only.",
        messages.SUCCESS,
    )


def install_admin(site=None) -> None:
    """Called from the app's ``ready()``, after the admin has loaded every app's admin module,
    so the user admin (ours, Django's, a host's) is there to receive the action."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnAttestation
    from django_otp_webauthn.utils import get_credential_model

    site = site or admin.site
    for model in (TOTPDevice, StaticDevice, get_credential_model(), WebAuthnAttestation):
        if site.is_registered(model):
            site.unregister(model)
    user_admin = site._registry.get(get_user_model())
    if user_admin is not None and reset_two_step_verification not in (user_admin.actions or ()):
        user_admin.actions = [*(user_admin.actions or ()), reset_two_step_verification]
