"""Dynamic client registration (RFC 7591) and its management (RFC 7592), as services.

Registration is closed by default: a client needs an initial access token an admin issued
(``initial_access_token_issue``) unless ``PORTAL_DYNAMIC_REGISTRATION_OPEN`` is on. A client
registered here is an ordinary client: made by the same ``application_register`` as a portal
app (hashed secret shown once, pending when approvals are required, audited), marked with DOT's
``registration_source = "dcr"``, and managed afterwards with its registration access token.
"""

import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings, clients
from oauth_portal.server.client_metadata import MetadataRefused, registration_from_metadata
from oauth_portal.server.client_secret_lifecycle import client_secret_verify
from oauth_portal.server.models import Application, DynamicRegistration, InitialAccessToken
from oauth_portal.server.models.registration import token_digest

# Who registered a client, in audit events: "dynamic" for the registration endpoint.
REGISTERED_BY = "dynamic"
# RFC 7592 §2.2: these describe the registration, not the client; an update may echo them back.
SERVER_ISSUED_FIELDS = (
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
)


class RegistrationForbidden(Exception):
    """No (usable) initial access token while open registration is off. ``token_sent`` tells
    RFC 6750's two answers apart: ``invalid_token``, or a bare challenge when none was sent."""

    def __init__(self, *, token_sent: bool):
        super().__init__("registration not allowed")
        self.token_sent = token_sent


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def _usable_initial_access_tokens(token: str):
    return InitialAccessToken.objects.filter(
        token_digest=token_digest(token),
        uses_left__gt=0,
        expires_at__gt=timezone.now(),
        revoked_at__isnull=True,
    )


def registration_check_allowed(*, initial_access_token: str | None) -> None:
    """Refuse before reading the metadata: an initial access token that works, or open
    registration. A token that was sent is always checked, even when registration is open."""
    if initial_access_token is not None:
        if not _usable_initial_access_tokens(initial_access_token).exists():
            raise RegistrationForbidden(token_sent=True)
    elif not app_settings.PORTAL_DYNAMIC_REGISTRATION_OPEN:
        raise RegistrationForbidden(token_sent=False)


def _initial_access_token_spend(token: str) -> InitialAccessToken:
    """Spend one use in one conditional UPDATE, so two racing registrations cannot both take
    the last use."""
    spent = _usable_initial_access_tokens(token).update(uses_left=F("uses_left") - 1)
    if not spent:
        raise RegistrationForbidden(token_sent=True)
    return InitialAccessToken.objects.get(token_digest=token_digest(token))


@transaction.atomic
def dynamic_client_register(
    *, metadata, initial_access_token: str | None, request=None
) -> tuple[Application, str, str]:
    """Register a client from RFC 7591 metadata; returns ``(application, plain_secret,
    registration_access_token)``, both secrets in plain text this once (only digests are kept).

    Raises ``RegistrationForbidden`` or ``MetadataRefused``; then nothing is stored or spent.
    """
    registration_check_allowed(initial_access_token=initial_access_token)
    checked = registration_from_metadata(metadata)
    spent = _initial_access_token_spend(initial_access_token) if initial_access_token else None
    try:
        application, plain_secret = clients.application_register(
            owner=None,
            request=request,
            registration_source=Application.RegistrationSource.DCR,
            allowed_scopes=checked.scopes,
            audit_details={
                "registered_by": REGISTERED_BY,
                "initial_access_token": spent.pk if spent else None,
            },
            **checked.fields,
        )
    except ValidationError as exc:
        raise MetadataRefused(" ".join(exc.messages)) from exc
    token, digest = _new_token()
    DynamicRegistration.objects.create(
        application=application, access_token_digest=digest, initial_access_token=spent
    )
    return application, plain_secret, token


def registration_for_token(*, client_id: str, token: str | None) -> DynamicRegistration | None:
    """The registration a registration access token manages, if it names ``client_id``."""
    if not token:
        return None
    registration = (
        DynamicRegistration.objects.select_related("application")
        .filter(access_token_digest=token_digest(token))
        .first()
    )
    if registration is None or registration.application.client_id != client_id:
        return None
    return registration


@transaction.atomic
def dynamic_client_update(
    *, registration: DynamicRegistration, metadata, request=None
) -> tuple[Application, str]:
    """Replace a client's metadata (RFC 7592 §2.2) and rotate its registration access token;
    returns ``(application, new_registration_access_token)``.

    The client type and grant cannot change (that is another client: register it). Fields
    left out are reset, as the RFC says; the server-issued fields may be echoed back.
    """
    application = registration.application
    if not isinstance(metadata, dict):
        raise MetadataRefused("The request body must be a JSON object.")
    if metadata.get("client_id") != application.client_id:
        raise MetadataRefused("client_id must be sent and must be this client's.")
    sent_secret = metadata.get("client_secret")
    if sent_secret is not None and not (
        isinstance(sent_secret, str)
        and client_secret_verify(application=application, secret=sent_secret)
    ):
        raise MetadataRefused("client_secret does not match this client's secret.")
    checked = registration_from_metadata(
        {k: v for k, v in metadata.items() if k not in SERVER_ISSUED_FIELDS}
    )
    fixed = ("client_type", "authorization_grant_type")
    if any(checked.fields[name] != getattr(application, name) for name in fixed):
        raise MetadataRefused(
            "token_endpoint_auth_method (none or a secret) and grant_types cannot change; "
            "register a new client instead."
        )
    changed = [
        name for name, value in checked.fields.items() if getattr(application, name) != value
    ]
    for name, value in checked.fields.items():
        setattr(application, name, value)
    try:
        clients.application_update(
            application=application, actor=None, changed=changed, request=request
        )
    except ValidationError as exc:
        raise MetadataRefused(" ".join(exc.messages)) from exc
    application.allowed_scopes.set(checked.scopes)
    token, registration.access_token_digest = _new_token()
    registration.save(update_fields=["access_token_digest", "updated_at"])
    return application, token


def dynamic_client_delete(*, registration: DynamicRegistration, request=None) -> None:
    """The client deregisters itself (RFC 7592 §2.3): its tokens, codes and consents go too."""
    clients.application_delete(application=registration.application, actor=None, request=request)


@transaction.atomic
def initial_access_token_issue(
    *, name: str, expires_at: datetime, uses: int, actor, request=None
) -> tuple[InitialAccessToken, str]:
    """Issue an initial access token; returns it with its plain value, to be shown once."""
    token, digest = _new_token()
    issued = InitialAccessToken.objects.create(
        name=name, token_digest=digest, expires_at=expires_at, uses_left=uses, created_by=actor
    )
    AuditEvent.objects.record_admin_action(
        actor=actor,
        action="initial_access_token_issued",
        request=request,
        initial_access_token=issued.pk,
        name=name,
        uses=uses,
        expires_at=expires_at.isoformat(),
    )
    return issued, token


@transaction.atomic
def initial_access_token_revoke(*, initial_access_token: InitialAccessToken, actor, request=None):
    """Stop an initial access token at once (clients it registered stay)."""
    if initial_access_token.revoked_at is not None:
        return
    initial_access_token.revoked_at = timezone.now()
    initial_access_token.save(update_fields=["revoked_at"])
    AuditEvent.objects.record_admin_action(
        actor=actor,
        action="initial_access_token_revoked",
        request=request,
        initial_access_token=initial_access_token.pk,
        name=initial_access_token.name,
    )
