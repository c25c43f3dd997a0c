"""The audit log in the admin: read-only, filterable, exportable as CSV."""

import csv
import json

from django.contrib import admin
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.audit.readonly_admin import ReadOnlyAdmin

CSV_HEADER = [
    "created",
    "type",
    "actor",
    "user",
    "client_id",
    "client_name",
    "ip_address",
    "user_agent",
    "details",
]
# A spreadsheet runs a cell starting with one of these as a formula; user agents and usernames
# are chosen by whoever sends the request.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose write() hands the CSV line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def audit_csv_lines(queryset):
    """The events as CSV lines, read from the database in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for event in queryset.select_related("actor", "user", "application").iterator(chunk_size=1000):
        row = [
            event.created.isoformat(),
            event.type,
            event.actor.get_username() if event.actor else "",
            event.user.get_username() if event.user else "",
            event.application.client_id if event.application else "",
            event.application.name if event.application else "",
            event.ip_address,
            event.user_agent,
            json.dumps(event.details, sort_keys=True),
        ]
        yield writer.writerow([spreadsheet_safe(value) for value in row])


class PersonFilter(admin.SimpleListFilter):
    """A username typed in, matched as the event's user or its actor (lists of every user would
    not fit in the sidebar)."""

    title = "user or actor (username)"
    parameter_name = "person"
    template = "admin/portal_audit/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # a filter with no lookups is not shown; the template draws an input

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Q(user__username=self.value()) | Q(actor__username=self.value()))
        return queryset

    def choices(self, changelist):
        kept = [
            (name, value)
            for name, values in changelist.params.items()
            if name not in (self.parameter_name, "p")
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {"kept_params": kept, "value": self.value() or ""}


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log, read-only: events are written by services, never edited."""

    list_display = (
        "created",
        "type",
        "actor",
        "user",
        "application",
        "ip_address",
        "details_summary",
    )
    list_filter = (
        "type",
        ("application", admin.RelatedOnlyFieldListFilter),
        PersonFilter,
        "created",
    )
    list_select_related = ("actor", "user", "application")
    search_fields = (
        "user__username",
        "actor__username",
        "application__name",
        "application__client_id",
    )
    date_hierarchy = "created"
    # The log grows without bound: do not count every row on every page load.
    show_full_result_count = False
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    actions = ("export_csv",)

    @admin.display(description="details")
    def details_summary(self, obj):
        text = ", ".join(f"{key}={value}" for key, value in sorted(obj.details.items()))
        return text if len(text) <= 80 else f"{text[:79]}…"

    @admin.action(description="Export selected events as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        AuditEvent.objects.record_admin_action(
            actor=request.user, action="audit_exported", request=request, rows=queryset.count()
        )
        response = StreamingHttpResponse(
            audit_csv_lines(queryset), content_type="text/csv; charset=utf-8"
        )
        filename = f"audit-events-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
