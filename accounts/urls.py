from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import connected_apps_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("apps/", views.ConnectedAppsView.as_view(), name="connected-apps"),
    path(
        "apps/<int:application_id>/revoke/",
        views.ConnectedAppRevokeView.as_view(),
        name="connected-app-revoke",
    ),
    path(
        "apps/<int:application_id>/scopes/remove/",
        views.ConnectedAppScopeRemoveView.as_view(),
        name="connected-app-scope-remove",
    ),
    path(
        "apps/<int:application_id>/revoke/confirm/",
        connected_apps_views.ConnectedAppRevokeConfirmView.as_view(),
        name="connected-app-revoke-confirm",
    ),
    path(
        "apps/<int:application_id>/scopes/remove/confirm/",
        connected_apps_views.ConnectedAppScopeRemoveConfirmView.as_view(),
        name="connected-app-scope-remove-confirm",
    ),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path(
        "verify-email/resend/",
        views.EmailVerificationResendView.as_view(),
        name="verify-email-resend",
    ),
    path("verify-email/<uidb64>/<token>/", views.EmailVerifyView.as_view(), name="verify-email"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]
