"""Custom claims in the admin (Auth0's namespaced custom claims, without writing code).

Saved through ``oauth_portal.server.custom_claims``, which validates and records each change.
The field list offers only the user model's plain, non-secret fields.
"""

from django import forms
from django.contrib import admin

from oauth_portal.server import custom_claims
from oauth_portal.server.models import CustomClaim
from oauth_portal.server.models.claims import releasable_user_fields


class CustomClaimForm(forms.ModelForm):
    class Meta:
        model = CustomClaim
        fields = ("key", "source", "attribute", "api", "in_id_token")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"] = forms.ChoiceField(
            choices=[("", "—")] + [(name, name) for name in releasable_user_fields()],
            required=False,
            label="User field",
            help_text="For a field source: the user's field whose value the claim carries.",
        )


@admin.register(CustomClaim)
class CustomClaimAdmin(admin.ModelAdmin):
    form = CustomClaimForm
    list_display = ("key", "source", "attribute", "access_tokens_of", "in_id_token")
    list_filter = ("source", "in_id_token", "api")
    search_fields = ("key", "attribute")

    @admin.display(description="In access tokens for", ordering="api__name")
    def access_tokens_of(self, claim):
        return claim.api.name if claim.api_id else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("api")

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        custom_claims.custom_claim_save(claim=obj, actor=request.user, request=request)

    def delete_model(self, request, obj):
        custom_claims.custom_claim_delete(claim=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for claim in queryset.select_related("api"):
            custom_claims.custom_claim_delete(claim=claim, actor=request.user, request=request)
