"""Client secrets after registration: checking one (with the grace period of a rotation),
rotating, and deleting a previous one. The hashing itself is in ``client_secrets``."""

from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import client_memo
from oauth_portal.server.client_secrets import ClientSecretHMACHasher
from oauth_portal.server.models import Application, ClientSecret

# How often "last used" timestamps of a secret may be written: not on every token request.
SECRET_USE_WRITE_INTERVAL = timedelta(minutes=1)


def _note_secret_use(model, pk, last_used_at, *, client_id: str = "") -> None:
    now = timezone.now()
    if last_used_at is None or now - last_used_at > SECRET_USE_WRITE_INTERVAL:
        field = "client_secret_last_used_at" if model is Application else "last_used_at"
        model.objects.filter(pk=pk).update(**{field: now})
        if client_id:
            # The copy this process kept still says the old time: read it again next time.
            client_memo.drop("client", client_id)


def client_secret_verify(*, application: Application, secret: str) -> bool:
    """Whether ``secret`` is the app's current secret or a previous one still in its grace period.

    A current secret stored under an older, slow hasher is re-hashed with ours on first use.
    """
    if not secret:
        return False
    stored = application.client_secret
    if stored and check_password(secret, stored):
        if not stored.startswith(f"{ClientSecretHMACHasher.algorithm}$"):
            application.client_secret = secret  # DOT's field hashes it with CLIENT_SECRET_HASHER
            application.save(update_fields=["client_secret"])
        _note_secret_use(
            Application,
            application.pk,
            application.client_secret_last_used_at,
            client_id=application.client_id,
        )
        return True
    for previous in ClientSecret.objects.filter(
        application=application, expires_at__gt=timezone.now()
    ):
        if check_password(secret, previous.secret_hash):
            _note_secret_use(ClientSecret, previous.pk, previous.last_used_at)
            return True
    return False


@transaction.atomic
def client_secret_rotate(*, application: Application, actor, grace: timedelta, request=None) -> str:
    """Give ``application`` a new secret and return it in plain text, once.

    The old secret keeps working for ``grace`` (possibly zero), then stops. DOT hashes the new
    secret on save, so the caller must show it now: it cannot be read back.
    """
    now = timezone.now()
    if grace > timedelta(0) and application.client_secret:
        ClientSecret.objects.create(
            application=application,
            secret_hash=application.client_secret,
            created_at=application.client_secret_created_at,
            expires_at=now + grace,
            last_used_at=application.client_secret_last_used_at,
        )
    secret = generate_client_secret()
    application.client_secret = secret
    application.client_secret_created_at = now
    application.client_secret_last_used_at = None
    application.save(
        update_fields=["client_secret", "client_secret_created_at", "client_secret_last_used_at"]
    )
    AuditEvent.objects.record(
        event=AuditEvent.Type.SECRET_ROTATED,
        request=request,
        actor=actor,
        application=application,
        grace_seconds=int(grace.total_seconds()),
    )
    return secret


def client_secret_previous_delete(*, application: Application, secret_id: int, actor, request=None):
    """Stop accepting one previous secret at once (it leaked). Returns whether one was deleted."""
    deleted, _ = ClientSecret.objects.filter(application=application, pk=secret_id).delete()
    if deleted:
        AuditEvent.objects.record(
            event=AuditEvent.Type.SECRET_DELETED,
            request=request,
            actor=actor,
            application=application,
            secret_id=secret_id,
        )
    return bool(deleted)
