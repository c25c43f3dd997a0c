from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log: a leaf app every other app records into."""

    name = "oauth_portal.audit"
    label = "portal_audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"
