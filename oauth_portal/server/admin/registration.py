"""Initial access tokens in the admin: issue one (its value shown once, on the answer to the
issuing form, never redirected to), see what each has registered, revoke. Rows are written
only through ``dynamic_registration``'s services."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from oauth_portal.server import dynamic_registration
from oauth_portal.server.models import InitialAccessToken


class InitialAccessTokenIssueForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Who or what it is for, e.g. “Partner onboarding, ACME”."
    )
    valid_days = forms.IntegerField(
        min_value=1, max_value=365, initial=7, help_text="It stops working after this many days."
    )
    uses = forms.IntegerField(
        min_value=1,
        max_value=1000,
        initial=1,
        help_text="How many clients it may register; each registration spends one.",
    )


@admin.register(InitialAccessToken)
class InitialAccessTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "uses_left", "expires_at", "created_by", "created_at")
    readonly_fields = (
        "name",
        "state",
        "uses_left",
        "expires_at",
        "revoked_at",
        "created_by",
        "created_at",
        "registered_clients",
    )
    exclude = ("token_digest",)
    actions = ["revoke"]

    @admin.display(description="State")
    def state(self, obj):
        if obj.revoked_at:
            return "Revoked"
        if obj.expires_at <= timezone.now():
            return "Expired"
        return "Used up" if obj.uses_left == 0 else "Usable"

    @admin.display(description="Clients it registered")
    def registered_clients(self, obj):
        names = [
            f"{r.application.name} ({r.application.client_id})" for r in obj.registrations.all()
        ]
        return ", ".join(names) or "None yet"

    def has_change_permission(self, request, obj=None):
        return False  # read-only once issued; revoke with the action

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: the audit log and its clients keep pointing here

    def has_revoke_permission(self, request):
        return request.user.has_perm("portal_server.change_initialaccesstoken")

    @admin.action(description="Revoke selected initial access tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        for token in queryset:
            dynamic_registration.initial_access_token_revoke(
                initial_access_token=token, actor=request.user, request=request
            )
        self.message_user(request, f"Revoked {queryset.count()}.", messages.SUCCESS)

    @sensitive_variables("plain_token")
    def add_view(self, request, form_url="", extra_context=None):
        """Our own issuing form: the token is made by the service and shown on this answer."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InitialAccessTokenIssueForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Issue an initial access token",
            "form": form,
        }
        request.current_app = self.admin_site.name
        if request.method == "POST" and form.is_valid():
            issued, plain_token = dynamic_registration.initial_access_token_issue(
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=form.cleaned_data["valid_days"]),
                uses=form.cleaned_data["uses"],
                actor=request.user,
                request=request,
            )
            context.update(title="New initial access token", issued=issued, token=plain_token)
            template = "admin/portal_server/initialaccesstoken/shown_once.html"
            return TemplateResponse(request, template, context)
        return TemplateResponse(
            request, "admin/portal_server/initialaccesstoken/issue.html", context
        )
