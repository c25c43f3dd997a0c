from django.contrib import admin

from apis.models import ApiResource, Scope


class ScopeInline(admin.TabularInline):
    model = Scope
    extra = 1
    fields = ("name", "description", "is_active")


@admin.register(ApiResource)
class ApiResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "identifier", "created")
    search_fields = ("name", "identifier")
    inlines = [ScopeInline]


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "api", "is_active")
    list_filter = ("is_active", "api")
    search_fields = ("name", "description")
