"""What the developer portal changes: an app registered in a developer's words, its
settings, the playground switch. Built on the server's client lifecycle."""

from django.db import transaction

from oauth_portal.server.clients import application_register, application_update
from oauth_portal.server.environments import initial_environment
from oauth_portal.server.models import Application

# Each kind of app a developer picks, as DOT's client type and grant.
PORTAL_KIND_PROTOCOL = {
    Application.Kind.WEB: (Application.CLIENT_CONFIDENTIAL, Application.GRANT_AUTHORIZATION_CODE),
    Application.Kind.SPA: (Application.CLIENT_PUBLIC, Application.GRANT_AUTHORIZATION_CODE),
    Application.Kind.NATIVE: (Application.CLIENT_PUBLIC, Application.GRANT_AUTHORIZATION_CODE),
    Application.Kind.SERVICE: (
        Application.CLIENT_CONFIDENTIAL,
        Application.GRANT_CLIENT_CREDENTIALS,
    ),
    # RFC 8628: a device cannot keep a secret, so it is a public client of the device grant.
    Application.Kind.DEVICE: (Application.CLIENT_PUBLIC, Application.GRANT_DEVICE_CODE),
}


# What the portal's settings form edits, by model field.
PORTAL_SETTINGS_FIELDS = (
    "name",
    "description",
    "homepage_url",
    "logo_url",
    "privacy_policy_url",
    "terms_url",
    "redirect_uris",
    "post_logout_redirect_uris",
    "allowed_origins",
    "refresh_tokens_need_offline_access",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "require_mfa",
)


def _redirect_uris_with_playground(uris: list[str], *, enabled: bool, callback_url: str) -> str:
    """Space-separated redirect URIs (DOT's format), with the playground callback last if on."""
    kept = [uri for uri in dict.fromkeys(uris) if uri != callback_url]
    return " ".join([*kept, callback_url] if enabled else kept)


def portal_application_register(
    *,
    owner,
    kind: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str],
    allowed_origins: list[str],
    playground_enabled: bool,
    playground_callback_url: str,
    request=None,
    **fields,
) -> tuple[Application, str]:
    """Register an app of one of the portal's kinds for ``owner``; returns ``(app, secret)``.

    The kind decides the client type and grant: a web app or a service is confidential (it
    gets a secret, shown once), a single-page or native app is public (PKCE, no secret). It
    starts in the sandbox while production needs an admin's approval (``environments``).
    """
    client_type, grant_type = PORTAL_KIND_PROTOCOL[kind]
    uris = _redirect_uris_with_playground(
        redirect_uris, enabled=playground_enabled, callback_url=playground_callback_url
    )
    return application_register(
        owner=owner,
        request=request,
        kind=kind,
        client_type=client_type,
        authorization_grant_type=grant_type,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=uris,
        post_logout_redirect_uris=" ".join(post_logout_redirect_uris),
        allowed_origins=" ".join(allowed_origins),
        playground_enabled=playground_enabled,
        environment=initial_environment(),
        **fields,
    )


@transaction.atomic
def portal_application_settings_change(
    *,
    application: Application,
    actor,
    data: dict,
    changed: list[str],
    playground_callback_url: str,
    request=None,
) -> None:
    """Apply the portal's settings form to ``application`` and record ``changed``, the names
    the form saw change (its ``changed_data``), as the admin records its form's.

    ``data`` holds lists of URIs and origins (the playground callback is kept as it was) and
    the allowed and required scopes. Nothing is saved, nor recorded, when nothing changed.
    """
    if not changed:
        return
    values = {
        **{name: data[name] for name in PORTAL_SETTINGS_FIELDS if name in data},
        "redirect_uris": _redirect_uris_with_playground(
            data["redirect_uris"],
            enabled=application.playground_enabled,
            callback_url=playground_callback_url,
        ),
        "post_logout_redirect_uris": " ".join(data["post_logout_redirect_uris"]),
        "allowed_origins": " ".join(data["allowed_origins"]),
    }
    for name, value in values.items():
        setattr(application, name, value)
    application_update(application=application, actor=actor, changed=changed, request=request)
    for name in ("allowed_scopes", "required_scopes"):
        getattr(application, name).set(data[name])


def application_playground_set(
    *, application: Application, actor, enabled: bool, callback_url: str, request=None
) -> None:
    """Turn the portal playground on or off for ``application``.

    On adds the playground's absolute callback URL to the registered redirect URIs; off removes
    it. A service signs in no user, so it has no redirect URI and no playground.
    """
    from django.core.exceptions import ValidationError

    if enabled and application.authorization_grant_type != Application.GRANT_AUTHORIZATION_CODE:
        raise ValidationError(
            "A service signs in no user, so the playground cannot run its sign-in flow.",
            code="playground_needs_sign_in",
        )
    application.playground_enabled = enabled
    application.redirect_uris = _redirect_uris_with_playground(
        application.redirect_uris.split(), enabled=enabled, callback_url=callback_url
    )
    application_update(
        application=application,
        actor=actor,
        changed=["playground_enabled", "redirect_uris"],
        request=request,
    )
