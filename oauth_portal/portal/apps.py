from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The developer portal: apps, keys, the API catalogue and the playground."""

    name = "oauth_portal.portal"
    label = "portal_developer"
    verbose_name = "Developer portal"
