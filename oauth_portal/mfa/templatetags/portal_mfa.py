"""``{% passkey_sign_in %}``: the "Sign in with a passkey" button for any sign-in page."""

from django import template

from oauth_portal.mfa.passkeys import passkey_configuration

register = template.Library()


@register.inclusion_tag("portal_mfa/includes/passkey_sign_in.html", takes_context=True)
def passkey_sign_in(context):
    return {"passkey_configuration": passkey_configuration(context["request"])}
