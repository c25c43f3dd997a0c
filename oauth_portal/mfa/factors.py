"""A user's second factors: authenticator apps (TOTP), passkeys and recovery codes, on
django-otp's and django-otp-webauthn's devices. Every change writes an audit event; secrets
(TOTP keys, recovery codes) never reach the audit log, a message or the session."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.utils import get_credential_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.mfa import app_settings

# django-otp-webauthn's credential model (a host may swap it, as its settings allow).
WebAuthnCredential = get_credential_model()

RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_SALT = "oauth_portal.mfa.recovery-code"
AUTHENTICATOR_APP_NAME = "Authenticator app"


@dataclass(frozen=True)
class Factors:
    """What a user has set up, ready for a page."""

    authenticator_app: TOTPDevice | None
    passkeys: list
    recovery_codes_left: int | None

    @property
    def any(self) -> bool:
        return bool(self.authenticator_app or self.passkeys)


def user_factors(*, user) -> Factors:
    """The user's confirmed factors (recovery codes count only beside a real factor)."""
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return Factors(
        authenticator_app=TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        passkeys=list(
            WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")
        ),
        recovery_codes_left=recovery.token_set.count() if recovery else None,
    )


def user_has_factor(*, user) -> bool:
    """A confirmed authenticator app or passkey: the sign-in then needs a second step."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


@transaction.atomic
def authenticator_app_start(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator-app key for the user (replacing an unconfirmed one):
    it becomes a factor only once the user types a code from it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_APP_NAME, confirmed=False)


@transaction.atomic
def authenticator_app_confirm(*, user, code: str, request=None) -> TOTPDevice | None:
    """Confirm the user's pending authenticator app with a code from it; None if it is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.MFA_ENROLLED,
        request=request,
        actor=user,
        user=user,
        factor="authenticator_app",
    )
    return device


@transaction.atomic
def recovery_codes_generate(*, user, request=None) -> list[str]:
    """Ten new recovery codes, replacing any old ones; returned once, to be shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(app_settings.PORTAL_MFA_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=recovery_code_digests(code)[0]) for code in codes]
    )
    AuditEvent.objects.record(
        event=AuditEvent.Type.MFA_RECOVERY_CODES_GENERATED,
        request=request,
        actor=user,
        user=user,
        count=len(codes),
    )
    return codes


def passkey_registered(*, user, credential, request=None) -> None:
    """Name a new passkey and record it."""
    if not credential.name or credential.name == user.get_username():
        count = WebAuthnCredential.objects.filter(user=user).count()
        credential.name = f"Passkey {count}"
        credential.save(update_fields=["name"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.MFA_ENROLLED, request=request, actor=user, user=user, factor="passkey"
    )


def passkey_rename(*, user, passkey_id: int, name: str) -> bool:
    return bool(
        WebAuthnCredential.objects.filter(user=user, pk=passkey_id).update(name=name.strip())
    )


@transaction.atomic
def factor_remove(*, user, factor: str, passkey_id: int | None = None, request=None) -> bool:
    """Remove the authenticator app or one passkey. With no factor left, the recovery codes
    go too: they only stand in for a factor."""
    if factor == "authenticator_app":
        deleted = TOTPDevice.objects.filter(user=user).delete()[0]
    else:
        deleted = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).delete()[0]
    if not deleted:
        return False
    if not user_has_factor(user=user):
        StaticDevice.objects.filter(user=user).delete()
    AuditEvent.objects.record(
        event=AuditEvent.Type.MFA_REMOVED, request=request, actor=user, user=user, factor=factor
    )
    return True


@transaction.atomic
def factors_reset(*, user, actor, request=None) -> int:
    """An admin removes every factor of ``user`` (a lost phone): the next sign-in is by
    password alone. Returns how many devices went."""
    removed = sum(
        model.objects.filter(user=user).delete()[0]
        for model in (TOTPDevice, StaticDevice, WebAuthnCredential)
    )
    AuditEvent.objects.record(
        event=AuditEvent.Type.MFA_RESET,
        request=request,
        actor=actor,
        user=user,
        removed=removed,
    )
    return removed


def code_verify(*, user, code: str, request=None):
    """The device a code proves (authenticator app first, then a recovery code, which is used
    up), or None. A recovery code used is recorded."""
    code = "".join(code.split()).lower()
    if not code.isascii() or not code.isalnum() or len(code) > 64:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if any(device.verify_token(digest) for digest in recovery_code_digests(code)):
            AuditEvent.objects.record(
                event=AuditEvent.Type.MFA_RECOVERY_CODE_USED,
                request=request,
                actor=user,
                user=user,
                left=device.token_set.count(),
            )
            return device
    return None


def recovery_code_digests(code: str) -> list[str]:
    """What is stored for a recovery code: a keyed digest, never the code (django-otp would
    keep it as typed). Keyed with the secret key, as a 40-bit code is quick to find from a
    plain hash; digests under the fallback keys too, so rotating the secret key keeps old
    codes working. 16 hex characters: the width of django-otp's token column."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(RECOVERY_CODE_SALT, code.lower(), secret=key, algorithm="sha256").hexdigest()[
            :16
        ]
        for key in keys
    ]
