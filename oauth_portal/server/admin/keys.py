"""The signing keys in the admin: read-only, never the private key."""

from django.contrib import admin

from oauth_portal.audit.readonly_admin import ReadOnlyAdmin
from oauth_portal.server.models import SigningKey


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    """The ID-token signing keys, read-only and without their private parts.

    ``python manage.py rotate_signing_key`` makes a new key current; ``revoke_signing_key``
    takes a leaked one out of the JWKS at once.
    """

    list_display = ("kid", "is_current", "created", "retired_at", "published_until")
    exclude = ("private_key_encrypted",)
    readonly_fields = ("kid", "is_current", "created", "retired_at", "published_until")
