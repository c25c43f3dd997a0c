"""The pages of two-step verification: the second step, step-up, re-authentication, and the
user's own factors. Thin: the rules live in sign_in, factors and code_limits."""

from base64 import b32encode
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

from oauth_portal.mfa import app_settings, code_limits, factors, forms, sign_in
from oauth_portal.mfa.passkeys import passkey_configuration
from oauth_portal.mfa.qr import qr_svg


def safe_next(request) -> str:
    """``next`` from the query or the form if it stays on this site, else ``""``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def next_or(request, fallback: str) -> str:
    """Where to go after a step: ``next`` if safe, else ``fallback`` (a URL name or path)."""
    return safe_next(request) or resolve_url(fallback)


class RecentSignInRequiredMixin(LoginRequiredMixin):
    """Changing factors needs a sign-in (or a re-entered password) from the last few minutes:
    a borrowed, still signed-in browser must not be enough to take the account over."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not sign_in.recently_authenticated(request):
            back = request.get_full_path() if request.method == "GET" else self.return_to()
            return redirect_to_login(back, resolve_url("portal_mfa:reauthenticate"))
        return super().dispatch(request, *args, **kwargs)

    def return_to(self) -> str:
        return resolve_url("portal_mfa:overview")


@method_decorator(never_cache, name="dispatch")
class OverviewView(LoginRequiredMixin, TemplateView):
    template_name = "portal_mfa/overview.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            factors=factors.user_factors(user=self.request.user),
            next=safe_next(self.request),
            **kwargs,
        )


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class SecondStepView(LoginRequiredMixin, View):
    """The code (or passkey) after the password; also the step-up for a user with factors."""

    template_name = "portal_mfa/second_step.html"

    def get(self, request):
        if not sign_in.second_step_pending(request) and sign_in.is_multi_factor(request):
            return redirect(next_or(request, settings.LOGIN_REDIRECT_URL))
        if not factors.user_has_factor(user=request.user):
            # Nothing to confirm with (an admin reset the factors meanwhile): the password
            # sign-in stands as it is, and says so in amr.
            sign_in.second_step_dropped(request)
            return redirect(next_or(request, settings.LOGIN_REDIRECT_URL))
        return self.page(forms.CodeForm())

    def post(self, request):
        lock = code_limits.code_lock(request, request.user)
        if lock is not None:
            return self.page(forms.CodeForm(), status=429, retry_after=lock.retry_after)
        form = forms.CodeForm(request.POST)
        device = None
        if form.is_valid():
            device = factors.code_verify(
                user=request.user, code=form.cleaned_data["code"], request=request
            )
        if device is None:
            code_limits.code_failed(request, request.user)
            form.add_error(None, "That code is not right. Check it and try again.")
            return self.page(form, status=400)
        sign_in.second_factor_confirmed(request, device=device, method="otp")
        return redirect(next_or(request, settings.LOGIN_REDIRECT_URL))

    def page(self, form, *, status=200, retry_after=None):
        user_factors = factors.user_factors(user=self.request.user)
        context = {
            "form": form,
            "factors": user_factors,
            "next": safe_next(self.request),
            "retry_after": retry_after,
            "passkey_configuration": passkey_configuration(self.request),
        }
        response = render(self.request, self.template_name, context, status=status)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response


class StepUpView(LoginRequiredMixin, View):
    """An app asked for a second factor: enter one, or set one up first."""

    def get(self, request):
        if sign_in.is_multi_factor(request):
            return redirect(next_or(request, settings.LOGIN_REDIRECT_URL))
        if factors.user_has_factor(user=request.user):
            return redirect_to_login(
                next_or(request, settings.LOGIN_REDIRECT_URL), resolve_url("portal_mfa:second-step")
            )
        context = {"next": safe_next(request)}
        return render(request, "portal_mfa/step_up.html", context)


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class ReauthenticateView(LoginRequiredMixin, View):
    """Enter the password again before changing factors. Wrong passwords count as at sign-in
    (django-axes and the sign-in ceilings), through ``authenticate``."""

    template_name = "portal_mfa/reauthenticate.html"

    def get(self, request):
        return self.page(forms.ReauthenticateForm())

    def post(self, request):
        form = forms.ReauthenticateForm(request.POST)
        if form.is_valid():
            user = authenticate(
                request,
                username=request.user.get_username(),
                password=form.cleaned_data["password"],
            )
            if user is not None and user.pk == request.user.pk:
                sign_in.reauthenticated(request)
                return redirect(next_or(request, "portal_mfa:overview"))
            form.add_error("password", "That password is not right.")
        return self.page(form, status=400)

    def page(self, form, status=200):
        context = {"form": form, "next": safe_next(self.request)}
        return render(self.request, self.template_name, context, status=status)


@method_decorator(never_cache, name="dispatch")
class AuthenticatorAppAddView(RecentSignInRequiredMixin, View):
    """Scan the QR code (or type the key), then confirm with a code from the app."""

    template_name = "portal_mfa/authenticator_add.html"

    def get(self, request):
        device = factors.authenticator_app_start(user=request.user)
        return self.page(device, forms.CodeForm())

    def post(self, request):
        form = forms.CodeForm(request.POST)
        device = form.is_valid() and factors.authenticator_app_confirm(
            user=request.user, code=form.cleaned_data["code"], request=request
        )
        if not device:
            pending = factors.TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
            if pending is None:
                return redirect("portal_mfa:authenticator-add")
            form.add_error("code", "That code is not right. Check the app's current code.")
            return self.page(pending, form, status=400)
        if not sign_in.is_multi_factor(request):
            sign_in.second_factor_confirmed(request, device=device, method="otp")
        if factors.user_factors(user=request.user).recovery_codes_left is None:
            return recovery_codes_page(request, first_factor=True)
        messages.success(request, "Your authenticator app is set up.")
        return redirect(next_or(request, "portal_mfa:overview"))

    def page(self, device, form, status=200):
        secret = b32encode(device.bin_key).decode()
        context = {
            "form": form,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "qr_svg": qr_svg(authenticator_uri(device)),
            "next": safe_next(self.request),
        }
        return render(self.request, self.template_name, context, status=status)


def authenticator_uri(device) -> str:
    """django-otp's otpauth:// URI, with our issuer name (unless OTP_TOTP_ISSUER sets one)."""
    with_issuer = device.config_url
    if "issuer=" not in with_issuer:
        issuer = quote(app_settings.PORTAL_MFA_ISSUER_NAME)
        with_issuer = with_issuer.replace("otpauth://totp/", f"otpauth://totp/{issuer}:", 1)
        with_issuer += f"&issuer={issuer}"
    return with_issuer


def recovery_codes_page(request, *, first_factor: bool = False):
    # Rendered, not redirected: the codes must not travel through a URL or the session.
    codes = factors.recovery_codes_generate(user=request.user, request=request)
    context = {
        "codes": codes,
        "first_factor": first_factor,
        "next": next_or(request, "portal_mfa:overview"),
    }
    return render(request, "portal_mfa/recovery_codes.html", context)


class RecoveryCodesGenerateView(RecentSignInRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        if not factors.user_has_factor(user=request.user):
            return redirect("portal_mfa:overview")
        return recovery_codes_page(request)


class AuthenticatorAppRemoveView(RecentSignInRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        if factors.factor_remove(user=request.user, factor="authenticator_app", request=request):
            messages.success(request, "Your authenticator app was removed.")
        return redirect("portal_mfa:overview")


class PasskeyAddView(RecentSignInRequiredMixin, TemplateView):
    template_name = "portal_mfa/passkey_add.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            passkey_configuration=passkey_configuration(self.request),
            next=safe_next(self.request),
            **kwargs,
        )


class PasskeyRemoveView(RecentSignInRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, passkey_id):
        if factors.factor_remove(
            user=request.user, factor="passkey", passkey_id=passkey_id, request=request
        ):
            messages.success(request, "The passkey was removed.")
        return redirect("portal_mfa:overview")


class PasskeyRenameView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, passkey_id):
        form = forms.PasskeyRenameForm(request.POST)
        if form.is_valid():
            factors.passkey_rename(
                user=request.user, passkey_id=passkey_id, name=form.cleaned_data["name"]
            )
        return redirect("portal_mfa:overview")
