"""Roles per API and who holds them, in the admin (Auth0's "Roles" and "Users > Roles").

Every change goes through ``oauth_portal.server.roles``, which records it in the audit log. A
role's permissions are limited to its own API's scopes. An assignment is created or deleted,
never edited: taking a role from one user and giving it to another are two audited acts.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from oauth_portal.server import roles
from oauth_portal.server.models import Role, RoleAssignment, Scope


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ("api", "name", "description", "scopes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scopes = Scope.objects.filter(api__isnull=False).select_related("api")
        if self.instance.api_id:
            scopes = scopes.filter(api_id=self.instance.api_id)
        self.fields["scopes"].queryset = scopes

    def clean(self):
        cleaned = super().clean()
        api = cleaned.get("api") or (self.instance.api if self.instance.api_id else None)
        scopes = cleaned.get("scopes")
        if api is not None and scopes is not None:
            try:
                roles.role_scopes_check(api=api, scopes=scopes)
            except ValidationError as error:
                self.add_error("scopes", error)
        return cleaned


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    form = RoleForm
    list_display = ("name", "api", "permission_list", "holders")
    list_filter = ("api",)
    search_fields = ("name", "description", "api__name")
    filter_horizontal = ("scopes",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("api")
            .prefetch_related("scopes")
            .annotate(holder_count=Count("assignments", distinct=True))
        )

    @admin.display(description="Permissions")
    def permission_list(self, role):
        return " ".join(scope.name for scope in role.scopes.all()) or "—"

    @admin.display(description="Users", ordering="holder_count")
    def holders(self, role):
        url = reverse("admin:portal_server_roleassignment_changelist")
        return format_html(
            '<a href="{}?role__id__exact={}">{}</a>', url, role.pk, role.holder_count
        )

    def get_readonly_fields(self, request, obj=None):
        """A saved role stays with its API: moving it would hand its holders another API."""
        return ("api",) if obj is not None else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A scope is added on its API's page, not from a role: no "+" next to the permissions.
        form.base_fields["scopes"].widget.can_add_related = False
        return form

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        roles.role_save(
            role=obj, scopes=list(form.cleaned_data["scopes"]), actor=request.user, request=request
        )

    def save_related(self, request, form, formsets, change):
        """``role_save`` has set the permissions; Django's own m2m save would repeat it."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        roles.role_delete(role=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for role in queryset:
            roles.role_delete(role=role, actor=request.user, request=request)


def _user_search_field() -> str:
    return f"user__{get_user_model().USERNAME_FIELD}"


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "assigned_by", "created")
    list_filter = ("role__api", "role")
    list_select_related = ("user", "role__api", "assigned_by")
    # A search box when the user model's admin has one (Django's does), a raw id otherwise:
    # a host's user model may have no admin at all.
    raw_id_fields = ("user",)

    def get_search_fields(self, request):
        return (_user_search_field(), "role__name")

    def get_autocomplete_fields(self, request):
        user_admin = self.admin_site._registry.get(get_user_model())
        return ("user",) if user_admin is not None and user_admin.search_fields else ()

    def get_readonly_fields(self, request, obj=None):
        return ("role", "user", "assigned_by", "created") if obj is not None else ()

    def get_fields(self, request, obj=None):
        return ("role", "user", "assigned_by", "created") if obj is not None else ("role", "user")

    def save_model(self, request, obj, form, change):
        if change:
            return
        assignment = roles.role_assign(
            role=obj.role, user=obj.user, actor=request.user, request=request
        )
        obj.pk, obj.created = assignment.pk, assignment.created

    def delete_model(self, request, obj):
        roles.role_unassign(role=obj.role, user=obj.user, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("role__api", "user"):
            roles.role_unassign(
                role=assignment.role, user=assignment.user, actor=request.user, request=request
            )
