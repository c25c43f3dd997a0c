from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + (("Verification", {"fields": ("email_verified",)}),)
    list_display = ("username", "email", "email_verified", "is_staff", "date_joined")
