"""Consents in the admin: read-only; revoking one also revokes the app's tokens for that user."""

from django.contrib import admin

from oauth_portal.audit.readonly_admin import USER_AND_CLIENT_SEARCH, ReadOnlyAdmin
from oauth_portal.server import consents
from oauth_portal.server.models import Consent


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """What each user allowed each app: read-only; an admin may revoke a consent (and with it
    the app's tokens for that user) through ``consents.consent_revoke_by_admin``."""

    list_display = (
        "user",
        "application",
        "scope",
        "remembered",
        "granted_at",
        "updated_at",
        "last_used_at",
    )
    list_select_related = ("user", "application")
    list_filter = ("granted_at", "last_used_at")
    search_fields = USER_AND_CLIENT_SEARCH
    date_hierarchy = "granted_at"
    actions = ("revoke",)

    @admin.display(description="remembered (skips the page)")
    def remembered(self, obj):
        """What "Remember my choice" lets skip the consent page."""
        return " ".join(sorted(obj.remembered_scopes)) or "nothing (asks every time)"

    @admin.action(description="Revoke selected consents and their tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        selected = list(queryset)
        for consent in selected:
            consents.consent_revoke_by_admin(consent=consent, actor=request.user, request=request)
        self.message_user(request, f"Revoked {len(selected)} consent(s) and their tokens.")
