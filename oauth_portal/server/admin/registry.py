"""The API and scope registry in the admin (Azure's "Expose an API").

Every change goes through ``apis.services`` and is recorded (API_CHANGED, SCOPE_CHANGED). A scope
in use cannot be deleted, only disabled: the delete page names what depends on it, and the
inline form refuses to delete it. An API's resource servers (the clients that may introspect its
tokens) are picked here too. Operations (method, path, scope) are edited inline; an API a
publisher registered in the portal waits as "pending" until an admin publishes it (the action
"Publish", through ``publishing.api_publish``).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet

from oauth_portal.server import api_catalogue, publishing
from oauth_portal.server.api_catalogue import scope_usage
from oauth_portal.server.models import ApiOperation, ApiResource, Scope


class ScopeInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        in_use = [
            str(api_catalogue.ScopeInUse(form.instance, usage))
            for form in self.deleted_forms
            if form.instance.pk and (usage := scope_usage(scope=form.instance))
        ]
        if in_use:
            raise ValidationError(in_use, code="scope_in_use")


class ScopeInline(admin.TabularInline):
    model = Scope
    formset = ScopeInlineFormSet
    extra = 1
    fields = ("name", "description", "is_active")


class ApiOperationInline(admin.TabularInline):
    model = ApiOperation
    extra = 1
    fields = ("method", "path", "scope", "summary")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the API's own scopes (the model's clean() refuses another API's too).
        if db_field.name == "scope":
            api_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                Scope.objects.filter(api_id=api_id) if api_id else Scope.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "scope":
            # Scopes are added and deleted in the Scopes inline above, through the services.
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        return formfield


@admin.register(ApiResource)
class ApiResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "identifier", "status", "owner", "access_token_format", "created")
    list_filter = ("status", "access_token_format")
    search_fields = ("name", "identifier", "description")
    inlines = [ScopeInline, ApiOperationInline]
    actions = ("publish",)
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)

    @admin.action(
        description="Publish selected APIs (their scopes can be granted)", permissions=["change"]
    )
    def publish(self, request, queryset):
        published = sum(
            publishing.api_publish(api=api, actor=request.user, request=request) for api in queryset
        )
        self.message_user(request, f"Published {published} API(s).", messages.SUCCESS)

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    filter_horizontal = ("resource_servers",)

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        api_catalogue.api_save(
            api=obj, actor=request.user, changed=form.changed_data, request=request
        )

    def get_inlines(self, request, obj):
        # An operation requires one of the API's scopes, which exist only once it is saved.
        return self.inlines if obj is not None else [ScopeInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is ApiOperation:
            return self.save_operations(request, formset)
        formset.save(commit=False)
        for scope in formset.deleted_objects:
            api_catalogue.scope_delete(scope=scope, actor=request.user, request=request)
        for scope in formset.new_objects:
            changed = [name for name in formset.form.base_fields if name != "id"]
            api_catalogue.scope_save(
                scope=scope, actor=request.user, changed=changed, request=request
            )
        for scope, changed in formset.changed_objects:
            api_catalogue.scope_save(
                scope=scope, actor=request.user, changed=changed, request=request
            )
        formset.save_m2m()

    def save_operations(self, request, formset):
        formset.save(commit=False)
        for operation in formset.deleted_objects:
            publishing.operation_delete(operation=operation, actor=request.user, request=request)
        changed = [operation for operation, _fields in formset.changed_objects]
        for operation in [*formset.new_objects, *changed]:
            publishing.operation_save(operation=operation, actor=request.user, request=request)

    def delete_model(self, request, obj):
        api_catalogue.api_delete(api=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for api in queryset:
            api_catalogue.api_delete(api=api, actor=request.user, request=request)


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "api", "is_active")
    list_filter = ("is_active", "api")
    search_fields = ("name", "description")
    actions = ("disable", "enable")

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        api_catalogue.scope_save(
            scope=obj, actor=request.user, changed=form.changed_data, request=request
        )

    def get_deleted_objects(self, objs, request):
        """Scopes in use count as protected: Django's delete page then names what uses them
        and refuses to delete."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for scope in objs:
            if usage := scope_usage(scope=scope):
                protected.append(str(api_catalogue.ScopeInUse(scope, usage)))
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        api_catalogue.scope_delete(scope=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for scope in queryset:
            api_catalogue.scope_delete(scope=scope, actor=request.user, request=request)

    def active_set(self, request, queryset, active: bool):
        changed = sum(
            api_catalogue.scope_active_set(
                scope=scope, active=active, actor=request.user, request=request
            )
            for scope in queryset
        )
        verb = "Enabled" if active else "Disabled"
        self.message_user(request, f"{verb} {changed} scope(s).", messages.SUCCESS)

    @admin.action(description="Disable selected scopes (no longer granted)", permissions=["change"])
    def disable(self, request, queryset):
        self.active_set(request, queryset, False)

    @admin.action(description="Enable selected scopes", permissions=["change"])
    def enable(self, request, queryset):
        self.active_set(request, queryset, True)
