"""Two-step verification pages; a site mounts them, e.g. under ``accounts/two-step/``."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from oauth_portal.mfa import passkeys, views

app_name = "portal_mfa"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("second-step/", views.SecondStepView.as_view(), name="second-step"),
    path("step-up/", views.StepUpView.as_view(), name="step-up"),
    path("reauthenticate/", views.ReauthenticateView.as_view(), name="reauthenticate"),
    path("authenticator/", views.AuthenticatorAppAddView.as_view(), name="authenticator-add"),
    path(
        "authenticator/remove/",
        views.AuthenticatorAppRemoveView.as_view(),
        name="authenticator-remove",
    ),
    path("recovery-codes/", views.RecoveryCodesGenerateView.as_view(), name="recovery-codes"),
    path("passkeys/add/", views.PasskeyAddView.as_view(), name="passkey-add"),
    path(
        "passkeys/<int:passkey_id>/remove/",
        views.PasskeyRemoveView.as_view(),
        name="passkey-remove",
    ),
    path(
        "passkeys/<int:passkey_id>/rename/",
        views.PasskeyRenameView.as_view(),
        name="passkey-rename",
    ),
    path(
        "passkeys/register/begin/",
        passkeys.PasskeyRegisterBeginView.as_view(),
        name="passkey-register-begin",
    ),
    path(
        "passkeys/register/complete/",
        passkeys.PasskeyRegisterCompleteView.as_view(),
        name="passkey-register-complete",
    ),
    path(
        "passkeys/auth/begin/", passkeys.PasskeyAuthBeginView.as_view(), name="passkey-auth-begin"
    ),
    path(
        "passkeys/auth/complete/",
        passkeys.PasskeyAuthCompleteView.as_view(),
        name="passkey-auth-complete",
    ),
    path(
        "passkeys/i18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="passkey-i18n",
    ),
]
