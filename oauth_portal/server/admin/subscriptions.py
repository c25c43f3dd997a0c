"""API subscriptions in the admin: the queue of pending ones, approved and rejected through the
services (which check the decider hook and write the audit event), and each app's test users."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from oauth_portal.server import subscriptions
from oauth_portal.server.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("application", "api", "status", "created", "decided_at", "decided_by")
    list_filter = ("status", "api")
    search_fields = ("application__name", "application__client_id", "api__name")
    list_select_related = ("application", "api", "decided_by")
    actions = ("approve", "reject")
    readonly_fields = ("application", "api", "status", "created", "decided_at", "decided_by")
    fields = (*readonly_fields, "decision_note")

    def has_add_permission(self, request):
        # Developers subscribe in the portal; an admin decides here.
        return False

    def _decide(self, request, queryset, decide, verb: str):
        done = refused = 0
        for subscription in queryset.select_related("application", "api"):
            try:
                done += decide(subscription=subscription, actor=request.user, request=request)
            except PermissionDenied:
                refused += 1
        level = messages.SUCCESS if done else messages.WARNING
        message = f"{verb} {done} subscription(s)."
        if refused:
            message += f" {refused} refused: you may not decide on subscriptions to that API."
        self.message_user(request, message, level)

    @admin.action(description="Approve selected subscriptions", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, subscriptions.subscription_approve, "Approved")

    @admin.action(description="Reject selected subscriptions", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, subscriptions.subscription_reject, "Rejected")

    def save_model(self, request, obj, form, change):
        # Only the note is editable; a decision goes through the actions (and the audit log).
        Subscription.objects.filter(pk=obj.pk).update(decision_note=obj.decision_note)
