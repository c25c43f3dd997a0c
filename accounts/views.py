from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from accounts import services


class SignInView(auth_views.LoginView):
    """Django's sign-in (session rotation, safe ``next``), with audit events."""

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

    template_name = "accounts/logged_out.html"

    def post(self, request, *args, **kwargs):
        user = request.user if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if user is not None:
            services.signed_out(request=request, user=user)
        return response


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/home.html"
