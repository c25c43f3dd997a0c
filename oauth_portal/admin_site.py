"""Django's admin site with our dashboard on its index page.

Django documents this route for a custom site: an ``AdminConfig`` whose ``default_site`` names
an ``AdminSite`` subclass, listed in ``INSTALLED_APPS`` in place of ``django.contrib.admin``.
Every ``admin.register`` (ours and DOT's) then lands on this site.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PortalAdminSite(admin.AdminSite):
    site_header = "Portal ID administration"
    site_title = "Portal ID admin"
    index_title = "Dashboard"
    # Lists such as the clients' have many columns; the page's width goes to them instead.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        """The app list, with the last 30 days of activity drawn above it."""
        from oauth_portal.admin_dashboard import dashboard_context

        context = {"dashboard": dashboard_context(), **(extra_context or {})}
        return super().index(request, extra_context=context)


class PortalAdminConfig(AdminConfig):
    default_site = "oauth_portal.admin_site.PortalAdminSite"
