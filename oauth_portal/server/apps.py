from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin import apps as admin_apps


class PortalAdminSite(admin.AdminSite):
    site_header = "Portal ID administration"
    site_title = "Portal ID admin"
    index_title = "Dashboard"
    # Lists such as the clients' have many columns; the page's width goes to them instead.
    enable_nav_sidebar = False
    # Django's index page with the dashboard above the app list.
    index_template = "admin/portal_server/index.html"

    def index(self, request, extra_context=None):
        """The app list, with the last 30 days of activity drawn above it."""
        from oauth_portal.server.admin.dashboard import dashboard_context

        context = {"dashboard": dashboard_context(), **(extra_context or {})}
        return super().index(request, extra_context=context)


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site (the dashboard on its index page), listed in INSTALLED_APPS
    in place of ``django.contrib.admin``, as Django documents for a custom default site. The
    site lives here, not in the ``admin`` package, whose import registers the admin classes."""

    default = False  # ServerConfig is this module's app; this one is named in INSTALLED_APPS
    default_site = "oauth_portal.server.apps.PortalAdminSite"


class ServerConfig(AppConfig):
    """The authorization server: clients, tokens, consents, keys, the API and scope registry and
    the django-oauth-toolkit hooks."""

    name = "oauth_portal.server"
    label = "portal_server"
    verbose_name = "Authorization server"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Sign-in failure counting listens to Django's auth signals (any sign-in form).
        from oauth_portal.server import (  # noqa: F401 - deploy_checks registers on import
            bearer,
            client_memo,
            cors,
            deploy_checks,
            registry,
            sign_in_protection,  # noqa: F401
            sign_in_sessions,
            tokens_follow_account,
        )

        cors.connect()
        bearer.connect()
        registry.connect()
        # A change to a client, scope, API, subscription or role: no process trusts what it
        # kept (client_memo).
        client_memo.connect()
        # Deactivation and a new password revoke the user's tokens, whatever view saved them.
        tokens_follow_account.connect()
        # Every sign-out ends the sign-in session: its refresh tokens without offline_access
        # end, and its apps are notified (back-channel logout).
        sign_in_sessions.connect()
