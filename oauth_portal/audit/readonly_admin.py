"""The base of every admin page whose rows the product itself writes (tokens, codes, consents,
the audit log, signing keys): nothing is added, edited or deleted by hand there.

What an admin may still do to such rows (revoke) goes through ``oauth_portal.services`` as an
action, and needs the change permission that editing the model would.
"""

from django.contrib import admin

# Rows that belong to a user and a client are found by either.
USER_AND_CLIENT_SEARCH = (
    "user__username",
    "user__email",
    "application__name",
    "application__client_id",
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        """For actions declared with ``permissions=["revoke"]``."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
