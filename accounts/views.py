from contextlib import nullcontext

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from accounts import forms, services
from oauth_portal.server import consents, input_rules
from oauth_portal.server.tokens_follow_account import password_change_keeps_tokens


class SignInView(auth_views.LoginView):
    """Django's sign-in (session rotation, safe ``next``), with audit events.

    Guessing is limited in the authentication layer (django-axes and the server's
    sign_in_protection), so the same rules hold at /admin/login/ and on a host site's own
    sign-in page; successful sign-ins never count toward any limit.
    """

    hostile_input_rule = input_rules.SIGN_IN

    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form):
        response = super().form_valid(form)
        services.sign_in_succeeded(request=self.request, user=form.get_user())
        return response

    def form_invalid(self, form):
        services.sign_in_failed(request=self.request, username=form.data.get("username", ""))
        return super().form_invalid(form)


class SignOutView(auth_views.LogoutView):
    """POST-only sign-out (Django 5 refuses GET), with an audit event."""

    template_name = "oauth_portal/server/logged_out.html"

    def post(self, request, *args, **kwargs):
        user = request.user if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user is not None:
            services.signed_out(request=request, user=user)
        return response


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/home.html"


@method_decorator([sensitive_post_parameters("password1", "password2"), never_cache], "dispatch")
class SignUpView(auth_views.RedirectURLMixin, FormView):
    """Create an account, sign it in and continue to a safe ``next`` (like sign-in does)."""

    hostile_input_rule = input_rules.SIGN_IN

    template_name = "accounts/signup.html"
    form_class = forms.SignUpForm
    next_page = settings.LOGIN_REDIRECT_URL

    def form_valid(self, form):
        try:
            user, mail = services.user_sign_up(
                request=self.request,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except services.TooManyMails as limit:
            return too_many_mails_page(self, form, limit)
        # login() rotates the session key, so a session planted before sign-up is worthless.
        # The backend is named because a lockout backend may join AUTHENTICATION_BACKENDS.
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        # The same words whether or not another account has the address.
        messages.success(self.request, f"Welcome! {verification_mail_words(user.email, mail)}")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, next=self.get_redirect_url())


class ProfileView(LoginRequiredMixin, FormView):
    """Names and e-mail address: what apps receive in the OpenID profile and email claims."""

    template_name = "accounts/profile.html"
    form_class = forms.ProfileForm
    success_url = reverse_lazy("accounts:profile")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        user = self.request.user
        return {"first_name": user.first_name, "last_name": user.last_name, "email": user.email}

    def form_valid(self, form):
        try:
            changed, mail = services.profile_update(
                request=self.request, user=self.request.user, **form.cleaned_data
            )
        except services.TooManyMails as limit:
            return too_many_mails_page(self, form, limit)
        user = self.request.user
        message = "Your profile is saved." if changed else "Nothing changed."
        if mail is not None and not user.email_verified:
            message = f"Saved. {verification_mail_words(user.email, mail)}"
        messages.success(self.request, message)
        return super().form_valid(form)


def verification_mail_words(address: str, mail) -> str:
    """What to say about a verification mail: the same for a link and an owner's notice."""
    if mail.held_back:
        return (
            f"We could not send a link to {address} just now: it has had several e-mails from "
            f"us recently. Ask for a new one on your profile page; try again in {mail.wait}."
        )
    return f"We sent a link to {address} to verify it."


def too_many_mails_page(view, form, limit):
    """The form again, with the limit explained, as a 429 that changed nothing."""
    if limit.per_target:
        message = (
            "We have sent several e-mails to this address recently. Use the link in the latest "
            f"one, or try again in {limit.wait}."
        )
    else:
        message = f"Too many e-mails were asked for from here; try again in {limit.wait}."
    form.add_error(None, ValidationError(message, code="rate_limited"))
    response = view.render_to_response(view.get_context_data(form=form), status=429)
    response["Retry-After"] = str(limit.retry_after)
    return response


@method_decorator(never_cache, "dispatch")
class EmailVerifyView(View):
    """The link from the verification e-mail. No sign-in needed: the token is the proof."""

    def get(self, request, uidb64, token):
        user = services.email_verify(request=request, uidb64=uidb64, token=token)
        context = {"verified_email": user.email if user else ""}
        return render(request, "accounts/verify_email.html", context, status=200 if user else 400)


class EmailVerificationResendView(LoginRequiredMixin, View):
    """POST-only: a new link for the signed-in user's own unverified address."""

    http_method_names = ["post"]

    def post(self, request):
        address = request.user.email
        try:
            mail = services.email_verification_resend(request=request, user=request.user)
        except services.TooManyMails as limit:
            messages.error(request, f"Too many e-mails were asked for; try again in {limit.wait}.")
            return redirect("accounts:profile")
        if mail.sent:
            messages.success(request, f"We sent a new verification link to {address}.")
        elif mail.held_back:
            messages.error(
                request,
                f"We sent several links to {address} recently: use the latest one, or try "
                f"again in {mail.wait}.",
            )
        else:
            messages.info(request, "There is no unverified address to send a link to.")
        return redirect("accounts:profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (old password required; this session survives through
    update_session_auth_hash, other sessions end), with an audit event.

    A new password revokes the user's app tokens (accounts/signals.py) only when they ticked
    "Also sign out of connected apps"; otherwise the save keeps them.
    """

    template_name = "accounts/password_change.html"
    form_class = forms.PasswordChangeForm
    success_url = reverse_lazy("accounts:password")

    def form_valid(self, form):
        sign_out_apps = form.cleaned_data["sign_out_apps"]
        with nullcontext() if sign_out_apps else password_change_keeps_tokens():
            response = super().form_valid(form)
        services.password_change_record(request=self.request, user=form.user)
        messages.success(
            self.request,
            "Your password is changed, and your connected apps are signed out."
            if sign_out_apps
            else "Your password is changed.",
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request: the same page follows whether or not the address is known."""

    template_name = "accounts/password_reset.html"
    form_class = forms.PasswordResetRequestForm
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset_email.txt"
    html_email_template_name = "accounts/email/password_reset_email.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def form_valid(self, form):
        try:
            services.password_reset_request_count(
                request=self.request, email=form.cleaned_data["email"]
            )
        except services.TooManyMails as limit:
            return too_many_mails_page(self, form, limit)
        response = super().form_valid(form)
        services.password_reset_request_record(
            request=self.request, email=form.cleaned_data["email"]
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset link: it swaps the token into the session before the form is shown, so
    the token does not linger in the address bar or a Referer header."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_record(request=self.request, user=form.user)
        return response


class ConnectedAppsView(LoginRequiredMixin, TemplateView):
    """The apps the user authorized, what each may do, and the way to take it back."""

    template_name = "accounts/connected_apps.html"

    def get_context_data(self, **kwargs):
        connected = consents.connected_apps_for_display(user=self.request.user)
        return super().get_context_data(connected_apps=connected, **kwargs)


class OwnedConsentMixin(LoginRequiredMixin):
    """POST-only actions on one of the user's consents; anyone else's is a 404."""

    http_method_names = ["post"]

    def get_consent(self):
        if self.kwargs["application_id"] > 2**63 - 1:
            raise Http404("No such connected app.")
        consent = consents.consent_owned_by(
            user=self.request.user, application_id=self.kwargs["application_id"]
        )
        if consent is None:
            raise Http404("No such connected app.")
        return consent


class ConnectedAppRevokeView(OwnedConsentMixin, View):
    def post(self, request, application_id):
        application = self.get_consent().application
        consents.consent_revoke(user=request.user, application=application, request=request)
        messages.success(request, f"{application.name} can no longer use your account.")
        return redirect("accounts:connected-apps")


class ConnectedAppScopeRemoveView(OwnedConsentMixin, View):
    def post(self, request, application_id):
        application = self.get_consent().application
        consents.consent_scope_remove(
            user=request.user,
            application=application,
            scope=request.POST.get("scope", "")[:100],
            request=request,
        )
        messages.success(request, f"Removed that permission from {application.name}.")
        return redirect("accounts:connected-apps")
