"""The client (Application) admin, wired through DOT's ``APPLICATION_ADMIN_CLASS``: its list,
filters, change form, saving and deleting. The actions are in ``client_actions``.

Every change goes through ``oauth_portal.server.clients``, which writes the audit event. A
secret is never shown except once, on the page that answers the rotation (or the creation)
that made it.
"""

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_variables

from oauth_portal.server import clients
from oauth_portal.server.admin.client_actions import ApplicationActionsMixin
from oauth_portal.server.models import Application
from oauth_portal.server.oauth_server import application_grant_type_choices

KIND_SHORT = {
    Application.Kind.WEB: "Web",
    Application.Kind.SPA: "SPA",
    Application.Kind.NATIVE: "Native",
    Application.Kind.SERVICE: "Machine",
}


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else ""


class KindFilter(admin.SimpleListFilter):
    """Filter by the kind every app records (see ``Application.clean``)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return list(KIND_SHORT.items())

    def queryset(self, request, queryset):
        if self.value() in KIND_SHORT:
            return queryset.filter(kind=self.value())
        return queryset


class FirstPartyFilter(admin.SimpleListFilter):
    title = "first-party"
    parameter_name = "first_party"

    def lookups(self, request, model_admin):
        return [("yes", "Yes (skips consent)"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(skip_authorization=self.value() == "yes")
        return queryset


class ApplicationAdmin(ApplicationActionsMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "kind_label",
        "status_label",
        "environment_label",
        "first_party",
        "created_on",
        "authorized_users",
        "live_tokens",
    )
    list_filter = (
        "status",
        "environment",
        KindFilter,
        FirstPartyFilter,
        "client_type",
        "registration_source",
    )
    search_fields = ("name", "client_id", "user__username", "user__email")
    ordering = ("-created",)
    filter_horizontal = ("allowed_scopes", "required_scopes")
    autocomplete_fields = ("user",)
    exclude = ("client_secret", "hash_client_secret")
    # DOT's get_absolute_url names its application pages, which are not mounted here.
    view_on_site = False
    # Django 6 assumes https for a URL typed without a scheme; say so now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = (
        "approve",
        "approve_production",
        "suspend",
        "reactivate",
        "mark_first_party",
        "mark_not_first_party",
        "rotate_secret",
        "revoke_tokens",
    )
    client_fields = (
        "name",
        "user",
        "kind",
        "description",
        "homepage_url",
        "logo_url",
        "privacy_policy_url",
        "terms_url",
    )
    protocol_fieldset = (
        "OAuth settings",
        {
            "fields": (
                "client_type",
                "authorization_grant_type",
                "redirect_uris",
                "post_logout_redirect_uris",
                "backchannel_logout_uri",
                "backchannel_logout_session_required",
                "allowed_origins",
                "algorithm",
                "refresh_tokens_need_offline_access",
                "playground_enabled",
                "token_requests_per_minute",
                "require_mfa",
            )
        },
    )
    scopes_fieldset = (
        "APIs and scopes",
        {
            "fields": ("allowed_scopes", "required_scopes"),
            "description": "With no allowed scope the client may ask for every active scope.",
        },
    )

    def get_queryset(self, request):
        return clients.applications_with_usage().order_by(*self.get_ordering(request))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return (
                ("Client", {"fields": ("client_id", *self.client_fields, "skip_authorization")}),
                self.protocol_fieldset,
                self.scopes_fieldset,
            )
        return (
            ("Client", {"fields": ("client_id", *self.client_fields)}),
            (
                "Status",
                {
                    "fields": (
                        "status_summary",
                        "environment_label",
                        "access_summary",
                        "skip_authorization",
                        "audit_log_link",
                    ),
                    "description": "Approve, suspend and reactivate with the actions of the "
                    "client list.",
                },
            ),
            self.protocol_fieldset,
            self.scopes_fieldset,
            ("Client secret", {"fields": ("secret_summary", "previous_secrets_summary")}),
            ("History", {"fields": ("created", "updated", "registration_source")}),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "user" in form.base_fields:
            form.base_fields["user"].label = "Owner"
            form.base_fields["user"].help_text = "The developer who registered the client."
        if "authorization_grant_type" in form.base_fields:
            # Only what the token endpoint accepts: an implicit or password client is refused.
            field = form.base_fields["authorization_grant_type"]
            field.choices = application_grant_type_choices(field.choices)
        if "skip_authorization" in form.base_fields:
            field = form.base_fields["skip_authorization"]
            field.label = "First-party"
            field.help_text = "A trusted app of our own: its users are not asked for consent."
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "client_id",
            "status_summary",
            "environment_label",
            "access_summary",
            "audit_log_link",
            "secret_summary",
            "previous_secrets_summary",
            "created",
            "updated",
            "registration_source",
        )

    # --- Columns and read-only fields --------------------------------------------------------

    @admin.display(description="owner", ordering="user__username")
    def owner(self, obj):
        return obj.user.get_username() if obj.user else "—"

    @admin.display(description="kind")
    def kind_label(self, obj):
        return KIND_SHORT.get(obj.kind, "—")

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        return obj.get_status_display()

    @admin.display(description="environment", ordering="environment")
    def environment_label(self, obj):
        """Sandbox apps serve only their developer and test users; say when one asks to go live."""
        if obj.environment == Application.Environment.SANDBOX and obj.production_requested_at:
            return f"Sandbox (production requested {_when(obj.production_requested_at)})"
        return obj.get_environment_display()

    @admin.display(description="subscriptions and test users")
    def access_summary(self, obj):
        """Read here, changed where it is audited: the portal and the subscriptions' actions."""
        subscriptions = [
            f"{subscription.api.name} ({subscription.get_status_display().lower()})"
            for subscription in obj.subscriptions.select_related("api")
        ]
        testers = list(obj.sandbox_testers.values_list("identifier", flat=True))
        return format_html(
            "APIs: {}<br>Test users: {}",
            ", ".join(subscriptions) or "none (the allowed scopes apply)",
            ", ".join(testers) or "none",
        )

    @admin.display(description="first-party", boolean=True, ordering="skip_authorization")
    def first_party(self, obj):
        return obj.skip_authorization

    @admin.display(description="created", ordering="created")
    def created_on(self, obj):
        return f"{timezone.localdate(obj.created):%Y-%m-%d}"

    @admin.display(description="authorized users", ordering="authorized_users")
    def authorized_users(self, obj):
        """People who consented to the app (its authorized users)."""
        return obj.authorized_users

    @admin.display(description="live tokens", ordering="live_tokens")
    def live_tokens(self, obj):
        return obj.live_tokens

    @admin.display(description="status")
    def status_summary(self, obj):
        if obj.status == Application.Status.SUSPENDED:
            return format_html("Suspended: {}", obj.suspension_reason or "no reason given")
        return obj.get_status_display()

    @admin.display(description="audit log")
    def audit_log_link(self, obj):
        url = reverse("admin:portal_audit_auditevent_changelist")
        return format_html(
            '<a href="{}?application__id__exact={}">What this client did</a>', url, obj.pk
        )

    @admin.display(description="secret")
    def secret_summary(self, obj):
        if obj.client_type == Application.CLIENT_PUBLIC:
            return "None: a public client proves itself with PKCE, not a secret."
        if not obj.client_secret:
            return "Not set."
        # The hasher's name only: the hash itself stays off the screen.
        algorithm = obj.client_secret.split("$", 1)[0]
        return (
            f"Set, stored as a {algorithm} hash (the secret itself is shown once, when made). "
            f"Created {_when(obj.client_secret_created_at) or 'before records began'}, "
            f"last used {_when(obj.client_secret_last_used_at) or 'never'}."
        )

    @admin.display(description="previous secrets")
    def previous_secrets_summary(self, obj):
        previous = list(obj.previous_secrets.all())
        if not previous:
            return "None."
        now = timezone.now()
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>Rotated {}; {} {}; last used {}</li>",
                (
                    (
                        _when(secret.rotated_at),
                        "accepted until" if secret.expires_at > now else "expired",
                        _when(secret.expires_at),
                        _when(secret.last_used_at) or "never",
                    )
                    for secret in previous
                ),
            ),
        )

    # --- Saving and deleting through the services ----------------------------------------------

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        if change:
            clients.application_update(
                application=obj, actor=request.user, changed=form.changed_data, request=request
            )
            return
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("user", "allowed_scopes", "required_scopes")
        }
        application, secret = clients.application_register(
            owner=form.cleaned_data["user"],
            actor=request.user,
            request=request,
            allowed_scopes=form.cleaned_data["allowed_scopes"],
            required_scopes=form.cleaned_data["required_scopes"],
            **fields,
        )
        # A client an admin creates is approved by that admin (when approval is required).
        clients.application_approve(application=application, actor=request.user, request=request)
        obj.pk = application.pk
        obj.refresh_from_db()
        obj._state.adding = False
        # Kept on this in-memory object only, for response_add to show once.
        obj.new_plain_secret = secret

    @sensitive_variables("secret")
    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(obj, "new_plain_secret", "")
        if not secret:
            return super().response_add(request, obj, post_url_continue)
        return self.secret_page(request, [{"application": obj, "secret": secret}], created=True)

    def delete_model(self, request, obj):
        clients.application_delete(application=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for application in queryset:
            clients.application_delete(application=application, actor=request.user, request=request)

    def get_deleted_objects(self, objs, request):
        """List the clients alone (with counts of what goes with them).

        Their tokens, codes and consents go too, through ``clients.application_delete``; the
        token admins never delete on their own, so their delete permission is not asked for.
        """
        _nested, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return [str(obj) for obj in objs], model_count, set(), protected
