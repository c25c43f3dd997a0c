"""Sign-in sessions in the admin: who is signed in where, which apps they signed in to, and
the back-channel logout notifications sent when a session ended."""

from django.contrib import admin

from oauth_portal.audit.readonly_admin import ReadOnlyAdmin
from oauth_portal.server import sign_in_sessions
from oauth_portal.server.models import LogoutNotification, SessionClient, SignInSession


class SessionClientInline(admin.TabularInline):
    model = SessionClient
    fields = ("application", "created")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SignInSession)
class SignInSessionAdmin(ReadOnlyAdmin):
    """Read-only; the action signs sessions out (the user must sign in again) and notifies every
    app signed in during them (``sign_in_sessions.sign_in_sessions_end_by_admin``)."""

    list_display = ("user", "created", "ended_at", "app_count")
    list_select_related = ("user",)
    list_filter = ("created", "ended_at")
    search_fields = ("user__username", "user__email", "sid")
    fields = ("user", "sid", "created", "ended_at")
    inlines = (SessionClientInline,)
    actions = ("end_sessions",)

    @admin.display(description="apps signed in to")
    def app_count(self, obj):
        return obj.clients.values("application_id").distinct().count()

    @admin.action(
        description="Sign out selected sessions and notify their apps", permissions=["revoke"]
    )
    def end_sessions(self, request, queryset):
        ended = sign_in_sessions.sign_in_sessions_end_by_admin(
            sessions=queryset, actor=request.user, request=request
        )
        self.message_user(request, f"Signed out {ended} session(s); their apps are notified.")


@admin.register(LogoutNotification)
class LogoutNotificationAdmin(ReadOnlyAdmin):
    """The back-channel logout outbox: what was sent, what is being retried, what gave up."""

    list_display = ("application", "status", "attempts", "last_error", "created", "next_attempt_at")
    list_select_related = ("application",)
    list_filter = ("status", "created")
    search_fields = ("application__name", "application__client_id", "subject")
