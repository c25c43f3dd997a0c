from django.contrib import admin

from oauth_portal.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: events are written by services, never edited."""

    list_display = ("created", "type", "actor", "user", "application", "ip_address")
    list_filter = ("type", "created")
    search_fields = (
        "user__username",
        "actor__username",
        "application__name",
        "application__client_id",
    )
    date_hierarchy = "created"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
