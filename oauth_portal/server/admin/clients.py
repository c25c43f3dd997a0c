"""The client (Application) admin, wired through DOT's ``APPLICATION_ADMIN_CLASS``.

Every change goes through ``oauth_portal.services``, which writes the audit event: saving the
form, deleting, and each action (approve, suspend, reactivate, first-party, rotate the secret,
revoke all tokens). Actions need the change permission. A secret is never shown except once,
on the page that answers the rotation (or the creation) that made it.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_variables

from oauth_portal.server import client_secret_lifecycle, clients
from oauth_portal.server.models import Application

KIND_SHORT = {
    Application.Kind.WEB: "Web",
    Application.Kind.SPA: "SPA",
    Application.Kind.NATIVE: "Native",
    Application.Kind.SERVICE: "Machine",
}
_unrecorded = Q(kind="")
_machine = Q(authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
_public = Q(client_type=Application.CLIENT_PUBLIC)
_no_origins = Q(allowed_origins="")
# The same derivation as Application.app_kind, in SQL, for apps made outside the portal.
KIND_QUERIES = {
    Application.Kind.SERVICE: Q(kind=Application.Kind.SERVICE) | (_unrecorded & _machine),
    Application.Kind.SPA: Q(kind=Application.Kind.SPA)
    | (_unrecorded & ~_machine & _public & ~_no_origins),
    Application.Kind.NATIVE: Q(kind=Application.Kind.NATIVE)
    | (_unrecorded & ~_machine & _public & _no_origins),
    Application.Kind.WEB: Q(kind=Application.Kind.WEB) | (_unrecorded & ~_machine & ~_public),
}
GRACE_CHOICES = [
    ("0", "None: the old secret stops working now"),
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("604800", "7 days"),
]


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}" if moment else ""


class KindFilter(admin.SimpleListFilter):
    """Filter by kind, including apps whose kind is derived rather than recorded."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return list(KIND_SHORT.items())

    def queryset(self, request, queryset):
        if self.value() in KIND_QUERIES:
            return queryset.filter(KIND_QUERIES[self.value()])
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


class SuspendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
        help_text="Recorded in the audit log and kept on the client until it is reactivated.",
    )


class SecretRotateForm(forms.Form):
    grace = forms.TypedChoiceField(
        choices=GRACE_CHOICES,
        coerce=int,
        initial="0",
        label="Grace period",
        help_text="How long the current secret keeps working beside the new one.",
    )


class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "owner",
        "kind_label",
        "status_label",
        "first_party",
        "created_on",
        "authorized_users",
        "live_tokens",
    )
    list_filter = ("status", KindFilter, FirstPartyFilter, "client_type")
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
                "allowed_origins",
                "algorithm",
                "playground_enabled",
                "token_requests_per_minute",
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
                    "fields": ("status_summary", "skip_authorization", "audit_log_link"),
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
        return KIND_SHORT[obj.app_kind]

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        return obj.get_status_display()

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

    # --- Actions -------------------------------------------------------------------------------

    def action_page(self, request, queryset, *, action: str, title: str, form, **extra):
        """An intermediate page that posts the selection back to the same action, confirmed."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
            **extra,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/portal_server/application/action_confirmation.html", context
        )

    def secret_page(self, request, rotated: list[dict], *, created: bool = False):
        """The one page that shows new secrets: rendered as the answer, never redirected to."""
        context = {
            **self.admin_site.each_context(request),
            "title": "New client secret" if len(rotated) == 1 else "New client secrets",
            "opts": self.model._meta,
            "rotated": rotated,
            "created": created,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/portal_server/application/secret_shown_once.html", context
        )

    def report(self, request, done: int, verb: str, skipped: int = 0, why: str = ""):
        noun = "client" if done == 1 else "clients"
        message = f"{verb} {done} {noun}."
        if skipped:
            message += f" Skipped {skipped}: {why}."
        self.message_user(request, message, messages.SUCCESS if done else messages.WARNING)

    @admin.action(description="Approve selected clients (pending approval)", permissions=["change"])
    def approve(self, request, queryset):
        pending = [app for app in queryset if app.status == Application.Status.PENDING]
        for application in pending:
            clients.application_approve(
                application=application, actor=request.user, request=request
            )
        self.report(request, len(pending), "Approved", len(queryset) - len(pending), "not pending")

    @admin.action(description="Suspend selected clients…", permissions=["change"])
    def suspend(self, request, queryset):
        form = SuspendForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            return self.action_page(
                request,
                queryset,
                action="suspend",
                title="Suspend clients",
                form=form,
                explanation="A suspended client gets no new tokens, and its live tokens and "
                "codes stop working at once. Reactivating it later does not bring them back.",
                submit_label="Suspend",
            )
        for application in queryset:
            clients.application_suspend(
                application=application,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        self.report(request, len(queryset), "Suspended")
        return None

    @admin.action(description="Reactivate selected clients (suspended)", permissions=["change"])
    def reactivate(self, request, queryset):
        suspended = [app for app in queryset if app.status == Application.Status.SUSPENDED]
        for application in suspended:
            clients.application_reactivate(
                application=application, actor=request.user, request=request
            )
        self.report(
            request, len(suspended), "Reactivated", len(queryset) - len(suspended), "not suspended"
        )

    def first_party_set(self, request, queryset, first_party: bool):
        changing = [app for app in queryset if app.skip_authorization != first_party]
        for application in changing:
            clients.application_first_party_set(
                application=application,
                actor=request.user,
                first_party=first_party,
                request=request,
            )
        verb = "Marked first-party" if first_party else "Marked not first-party"
        self.report(request, len(changing), verb, len(queryset) - len(changing), "already were")

    @admin.action(description="Mark first-party (users skip consent)", permissions=["change"])
    def mark_first_party(self, request, queryset):
        self.first_party_set(request, queryset, True)

    @admin.action(description="Mark not first-party (users consent)", permissions=["change"])
    def mark_not_first_party(self, request, queryset):
        self.first_party_set(request, queryset, False)

    @admin.action(description="Rotate the secret of selected clients…", permissions=["change"])
    @sensitive_variables("rotated")
    def rotate_secret(self, request, queryset):
        confidential = [app for app in queryset if app.client_type != Application.CLIENT_PUBLIC]
        if not confidential:
            self.message_user(request, "Public clients have no secret.", messages.WARNING)
            return None
        form = SecretRotateForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            return self.action_page(
                request,
                confidential,
                action="rotate_secret",
                title="Rotate client secrets",
                form=form,
                explanation="Each selected client gets a new secret, shown once on the next "
                "page. Its developer must put it in the app before the grace period ends.",
                submit_label="Rotate",
            )
        grace = timedelta(seconds=form.cleaned_data["grace"])
        rotated = [
            {
                "application": application,
                "secret": client_secret_lifecycle.client_secret_rotate(
                    application=application, actor=request.user, grace=grace, request=request
                ),
            }
            for application in confidential
        ]
        return self.secret_page(request, rotated)

    @admin.action(description="Revoke all tokens of selected clients", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = sum(
            clients.application_tokens_revoke(
                application=application, actor=request.user, request=request
            )
            for application in queryset
        )
        self.message_user(
            request,
            f"Revoked every token and pending code of {len(queryset)} client(s): "
            f"{revoked} access token(s) with their refresh tokens.",
            messages.SUCCESS,
        )
