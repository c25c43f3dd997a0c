from django.apps import AppConfig


class SiteConfig(AppConfig):
    """Our reference site: its demo data command and pages. No models."""

    name = "oauth_portal"
    verbose_name = "Reference site"
