"""The client admin's actions: approve, approve for production, suspend, reactivate,
first-party, rotate the secret, revoke all tokens. Each needs the change permission and calls a
service, which writes the audit event; a new secret is rendered on the page that answers the
rotation, never redirected to."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_variables

from oauth_portal.server import client_secret_lifecycle, clients, environments
from oauth_portal.server.forms import SecretRotateForm
from oauth_portal.server.models import Application


class SuspendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
        help_text="Recorded in the audit log and kept on the client until it is reactivated.",
    )


class ApplicationActionsMixin:
    """The actions of ``ApplicationAdmin``, with their confirmation and secret pages."""

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

    @admin.action(description="Approve selected clients for production", permissions=["change"])
    def approve_production(self, request, queryset):
        sandbox = [app for app in queryset if app.environment == Application.Environment.SANDBOX]
        for application in sandbox:
            environments.production_approve(
                application=application, actor=request.user, request=request
            )
        skipped = len(queryset) - len(sandbox)
        self.report(request, len(sandbox), "Moved to production", skipped, "already in production")

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
        grace = form.cleaned_data["grace"]
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
