"""Tokens and codes in the admin, wired through DOT's ``*_ADMIN_CLASS`` settings.

Read-only: rows are made by the OAuth flows and removed by revocation or ``cleartokens``. Token
values are never stored (only their SHA-256), authorization codes are, so a code is never shown
or searchable; a row is recognised by the first characters of its checksum. The one action,
revoke, takes down a token's whole refresh-token family through ``oauth_portal.services`` and
needs the model's change permission.
"""

from django.contrib import admin, messages
from django.utils import timezone

from oauth_portal.audit.readonly_admin import USER_AND_CLIENT_SEARCH, ReadOnlyAdmin
from oauth_portal.server import tokens

CHECKSUM_PREFIX_LENGTH = 8


class ReadOnlyCredentialAdmin(ReadOnlyAdmin):
    """Searchable by user and client, filtered by date; nothing can be added, edited or deleted."""

    list_select_related = ("user", "application")
    search_fields = USER_AND_CLIENT_SEARCH
    date_hierarchy = "created"
    list_per_page = 50

    @admin.display(description="checksum")
    def checksum_prefix(self, obj):
        return f"{obj.token_checksum[:CHECKSUM_PREFIX_LENGTH]}…" if obj.token_checksum else ""


class LiveAccessTokenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("expired", "Expired")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(expires__gt=timezone.now())
        if self.value() == "expired":
            return queryset.filter(expires__lte=timezone.now())
        return queryset


class RevokedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Not revoked"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() in ("active", "revoked"):
            return queryset.filter(revoked__isnull=self.value() == "active")
        return queryset


class AccessTokenAdmin(ReadOnlyCredentialAdmin):
    list_display = ("id", "checksum_prefix", "user", "application", "scope", "created", "expires")
    list_filter = (LiveAccessTokenFilter, "created", "expires")
    exclude = ("token", "token_checksum")
    readonly_fields = ("checksum_prefix",)
    actions = ("revoke",)

    @admin.action(description="Revoke selected tokens and their families", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(
            tokens.access_token_revoke(access_token=token, actor=request.user, request=request)
            for token in queryset.select_related("source_refresh_token")
        )
        self.message_user(
            request, f"Revoked {revoked} access token(s) and their refresh-token families."
        )


class RefreshTokenAdmin(ReadOnlyCredentialAdmin):
    list_display = ("id", "checksum_prefix", "family", "user", "application", "created", "revoked")
    list_filter = (RevokedFilter, "created", "revoked")
    exclude = ("token", "token_checksum")
    readonly_fields = ("checksum_prefix", "token_family")
    actions = ("revoke",)

    @admin.display(description="family")
    def family(self, obj):
        return str(obj.token_family)[:8] if obj.token_family else ""

    @admin.action(description="Revoke the families of selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(
            tokens.refresh_token_revoke(refresh_token=token, actor=request.user, request=request)
            for token in queryset
        )
        level = messages.SUCCESS if revoked else messages.WARNING
        self.message_user(request, f"Revoked {revoked} refresh-token family(ies).", level)


class GrantAdmin(ReadOnlyCredentialAdmin):
    """Pending authorization codes. The code itself is stored in clear, so it never shows."""

    list_display = ("id", "user", "application", "scope", "redirect_uri", "created", "expires")
    list_filter = ("created", "expires")
    exclude = ("code",)


class IDTokenAdmin(ReadOnlyCredentialAdmin):
    """ID tokens issued (the signed token is not stored; ``jti`` identifies it)."""

    list_display = ("jti", "user", "application", "scope", "created", "expires")
    list_filter = ("created", "expires")
