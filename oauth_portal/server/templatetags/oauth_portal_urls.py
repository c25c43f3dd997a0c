"""``{% portal_url "SETTING" %}``: a link to one of the host site's pages, named by a setting.

The apps' pages link to sign-in, sign-out, password reset and the account home, which belong to
the host site, never to our apps; so they name a setting (``LOGIN_URL``, ``PORTAL_LOGOUT_URL``,
``PORTAL_PASSWORD_RESET_URL``, ``PORTAL_HOME_URL``) holding a URL name or a path, and a host
without such a page gets no link rather than an error.
"""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch

from oauth_portal.server import app_settings

register = template.Library()


@register.simple_tag
def portal_url(setting_name: str) -> str:
    """The URL the setting names (a URL name or a path), or "" when it names nothing here."""
    if setting_name.startswith("PORTAL_"):
        target = getattr(app_settings, setting_name)
    else:
        target = getattr(settings, setting_name, "")
    if not target:
        return ""
    try:
        return resolve_url(target)
    except NoReverseMatch:
        return ""
