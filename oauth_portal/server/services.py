"""What the authorization server does: every state change goes through a function here.

Views, DOT hooks (our validator), admin actions and management commands call these, so each
rule and each audit event lives in one place.
"""

import hashlib
import logging
import uuid
from datetime import timedelta

from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwcrypto import jwk
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import app_settings
from oauth_portal.server.client_secrets import ClientSecretHMACHasher
from oauth_portal.server.models import Application, ClientSecret, RedeemedCode, SigningKey
from oauth_portal.server.signing_keys import (
    generate_private_key_pem,
    private_key_encrypt,
    private_key_reencrypt,
)

logger = logging.getLogger(__name__)


def token_checksum(value: str) -> str:
    """The SHA-256 that DOT stores in place of a token (and we in place of a code)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def signing_key_ensure_current() -> SigningKey:
    """Return the current signing key, creating the first one if the table is empty.

    Two processes may race here on a fresh database; the partial unique constraint lets only
    one insert win, and the loser reads the winner's key.
    """
    key = SigningKey.objects.filter(is_current=True).first()
    if key is not None:
        return key
    pem = generate_private_key_pem()
    kid = jwk.JWK.from_pem(pem.encode("ascii")).thumbprint()
    try:
        with transaction.atomic():
            key = SigningKey.objects.create(
                kid=kid, private_key_encrypted=private_key_encrypt(pem), is_current=True
            )
    except IntegrityError:
        return SigningKey.objects.get(is_current=True)
    AuditEvent.objects.record(event=AuditEvent.Type.SIGNING_KEY_CREATED, kid=kid)
    return key


def authorization_code_redeemed(*, code: str, application: Application, user, token: dict) -> None:
    """Remember a redeemed code and the token family it started, to catch a replay later."""
    access_checksum = token_checksum(token["access_token"])
    family = (
        get_refresh_token_model()
        .objects.filter(access_token__token_checksum=access_checksum)
        .values_list("token_family", flat=True)
        .first()
    )
    RedeemedCode.objects.create(
        code_checksum=token_checksum(code),
        application=application,
        user=user,
        token_family=family,
        access_token_checksum=access_checksum,
    )


def authorization_code_replay_handle(*, code: str, application: Application, request=None) -> bool:
    """If ``code`` was redeemed before, revoke everything that redemption issued.

    RFC 6749 §4.1.2: a code used twice means someone else holds it; the tokens from its first
    use are no longer trustworthy. Returns whether the code was a replay.
    """
    redeemed = RedeemedCode.objects.filter(
        code_checksum=token_checksum(code), application=application
    ).first()
    if redeemed is None:
        return False
    token_family_revoke(token_family=redeemed.token_family)
    get_access_token_model().objects.filter(token_checksum=redeemed.access_token_checksum).delete()
    AuditEvent.objects.record(
        event=AuditEvent.Type.CODE_REUSED,
        request=request,
        user=redeemed.user,
        application=application,
        first_redeemed_at=redeemed.redeemed_at.isoformat(),
    )
    return True


def refresh_token_replay_record(*, refresh_token, request=None) -> None:
    """Record a replayed (already rotated or revoked) refresh token; DOT has revoked its family."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.REFRESH_REUSED,
        request=request,
        user=refresh_token.user,
        application=refresh_token.application,
        revoked_at=refresh_token.revoked.isoformat(),
    )


def token_family_revoke(*, token_family: uuid.UUID | None) -> None:
    """Revoke every refresh token of one family and delete their access tokens."""
    get_refresh_token_model().revoke_family(token_family)


def token_owner(*, token: str, application: Application | None):
    """The user an access or refresh token of ``application`` was issued for, if any."""
    checksum = token_checksum(token)
    for model in (get_access_token_model(), get_refresh_token_model()):
        found = (
            model.objects.filter(token_checksum=checksum, application=application)
            .select_related("user")
            .first()
        )
        if found is not None:
            return found.user
    return None


def token_issue_record(*, request, token: dict) -> None:
    """Write the audit event for a token response (issued or refreshed); never the token."""
    refreshed = request.grant_type == "refresh_token"
    AuditEvent.objects.record(
        event=AuditEvent.Type.TOKEN_REFRESHED if refreshed else AuditEvent.Type.TOKEN_ISSUED,
        request=request,
        user=request.user,
        application=request.client,
        grant_type=request.grant_type,
        scope=token.get("scope", ""),
        expires_in=token.get("expires_in"),
    )


# How often "last used" timestamps of a secret may be written: not on every token request.
SECRET_USE_WRITE_INTERVAL = timedelta(minutes=1)


def _note_secret_use(model, pk, last_used_at) -> None:
    now = timezone.now()
    if last_used_at is None or now - last_used_at > SECRET_USE_WRITE_INTERVAL:
        field = "client_secret_last_used_at" if model is Application else "last_used_at"
        model.objects.filter(pk=pk).update(**{field: now})


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
        _note_secret_use(Application, application.pk, application.client_secret_last_used_at)
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


# --- Client lifecycle: shared by the portal, the admin and management commands -------------------


def tokens_revoke(
    *, application: Application | None = None, user=None, scope: str | None = None
) -> int:
    """Revoke refresh tokens and delete access tokens, ID tokens and pending codes of
    ``application``, of ``user``, or of ``user`` in ``application`` (only those carrying
    ``scope``, when given), in a constant number of queries. Returns how many access tokens died.

    Shared by suspension, "revoke all tokens", consent withdrawal, scope removal, and a user
    deactivated or given a new password (every app at once).
    """
    from oauth2_provider.models import get_grant_model, get_id_token_model

    if application is None and user is None:
        raise ValueError("tokens_revoke needs an application, a user or both.")
    owner = {
        name: value
        for name, value in (("application", application), ("user", user))
        if value is not None
    }
    access_tokens = get_access_token_model().objects.filter(**owner)
    refresh_tokens = get_refresh_token_model().objects.filter(revoked__isnull=True, **owner)
    grants = get_grant_model().objects.filter(**owner)
    if scope is not None:
        carrying = [t.pk for t in access_tokens.only("pk", "scope") if scope in t.scope.split()]
        access_tokens = access_tokens.filter(pk__in=carrying)
        refresh_tokens = refresh_tokens.filter(access_token__in=carrying)
        grants = grants.filter(
            pk__in=[g.pk for g in grants.only("pk", "scope") if scope in g.scope.split()]
        )
    now = timezone.now()
    refresh_tokens.update(revoked=now, updated=now)
    id_token_ids = list(access_tokens.exclude(id_token=None).values_list("id_token", flat=True))
    deleted, _ = access_tokens.delete()
    id_tokens = get_id_token_model().objects.filter(**owner)
    if scope is not None:
        id_tokens = id_tokens.filter(pk__in=id_token_ids)
    id_tokens.delete()
    grants.delete()
    return deleted


@transaction.atomic
def application_register(*, owner, actor=None, secret: str | None = None, request=None, **fields):
    """Create a client for ``owner`` and return ``(application, plain_secret)``.

    The secret is returned once (confidential clients only) and stored hashed. With
    ``PORTAL_REQUIRE_APPROVAL`` the app starts pending: usable only by its developer.
    """

    allowed_scopes = fields.pop("allowed_scopes", None)
    required_scopes = fields.pop("required_scopes", None)
    application = Application(user=owner, **fields)
    plain_secret = ""
    if application.client_type == Application.CLIENT_CONFIDENTIAL:
        plain_secret = secret or generate_client_secret()
        application.client_secret = plain_secret
        application.client_secret_created_at = timezone.now()
    if app_settings.PORTAL_REQUIRE_APPROVAL:
        application.status = Application.Status.PENDING
    application.full_clean()
    application.save()
    if allowed_scopes is not None:
        application.allowed_scopes.set(allowed_scopes)
    if required_scopes is not None:
        application.required_scopes.set(required_scopes)
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_CREATED,
        request=request,
        actor=actor or owner,
        application=application,
        kind=application.app_kind,
        status=application.status,
    )
    return application, plain_secret


@transaction.atomic
def application_update(*, application: Application, actor, changed: list[str], request=None):
    """Save edits already applied to ``application`` and record which fields changed."""
    application.full_clean()
    application.save()
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_CHANGED,
        request=request,
        actor=actor,
        application=application,
        fields=sorted(changed),
    )
    return application


@transaction.atomic
def application_delete(*, application: Application, actor, request=None) -> None:
    """Delete a client; every token, code and consent it holds goes with it."""
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_DELETED,
        request=request,
        actor=actor,
        application=application,
        client_id=application.client_id,
        name=application.name,
    )
    tokens_revoke(application=application)
    application.delete()


@transaction.atomic
def application_suspend(*, application: Application, actor, reason: str, request=None) -> None:
    """Suspend a client: it gets no new tokens, and its live tokens and codes die at once."""
    application.status = Application.Status.SUSPENDED
    application.suspension_reason = reason.strip()
    application.save(update_fields=["status", "suspension_reason", "updated"])
    revoked = tokens_revoke(application=application)
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_SUSPENDED,
        request=request,
        actor=actor,
        application=application,
        reason=application.suspension_reason,
        access_tokens_revoked=revoked,
    )


@transaction.atomic
def application_reactivate(*, application: Application, actor, request=None) -> None:
    """Make a suspended client usable again (tokens revoked at suspension stay revoked)."""
    application.status = Application.Status.ACTIVE
    application.suspension_reason = ""
    application.save(update_fields=["status", "suspension_reason", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_REACTIVATED,
        request=request,
        actor=actor,
        application=application,
    )


@transaction.atomic
def application_approve(*, application: Application, actor, request=None) -> None:
    """Approve a pending client so that every user, not only its developer, can use it."""
    if application.status != Application.Status.PENDING:
        return
    application.status = Application.Status.ACTIVE
    application.save(update_fields=["status", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_APPROVED, request=request, actor=actor, application=application
    )


@transaction.atomic
def application_first_party_set(
    *, application: Application, actor, first_party: bool, request=None
) -> None:
    """Mark a client first-party (its users are not asked for consent), or not."""
    application.skip_authorization = first_party
    application.save(update_fields=["skip_authorization", "updated"])
    AuditEvent.objects.record(
        event=AuditEvent.Type.CLIENT_CHANGED,
        request=request,
        actor=actor,
        application=application,
        fields=["skip_authorization"],
        first_party=first_party,
    )


@transaction.atomic
def application_tokens_revoke(*, application: Application, actor, request=None) -> int:
    """Revoke every token and pending code of a client (it keeps working for new sign-ins)."""
    revoked = tokens_revoke(application=application)
    AuditEvent.objects.record(
        event=AuditEvent.Type.TOKENS_REVOKED,
        request=request,
        actor=actor,
        application=application,
        access_tokens_revoked=revoked,
    )
    return revoked


@transaction.atomic
def user_tokens_revoke(*, user, reason: str, request=None) -> int:
    """Revoke every token and pending code ``user`` holds, in every app, and record why.

    Deactivation and a new password (reset, admin, or a change with "sign out of connected
    apps" ticked) end what the account gave away: ``tokens_follow_account`` calls this on the
    user's save. Returns how many access tokens died; a user who had none leaves no event.
    """
    revoked = tokens_revoke(user=user)
    if revoked:
        AuditEvent.objects.record(
            event=AuditEvent.Type.TOKENS_REVOKED,
            request=request,
            user=user,
            reason=reason,
            access_tokens_revoked=revoked,
        )
    return revoked


# --- Admin console and operations (issue 5) ------------------------------------------------------


@transaction.atomic
def access_token_revoke(*, access_token, actor, request=None) -> bool:
    """Revoke an access token with its whole refresh-token family (or alone, if it has none).

    Killing only the access token would leave its refresh token able to mint a new one.
    Returns False when the token was already gone (revoked with an earlier family member).
    """
    if not get_access_token_model().objects.filter(pk=access_token.pk).exists():
        return False
    refresh_token = get_refresh_token_model().objects.filter(access_token=access_token).first()
    source = refresh_token or access_token.source_refresh_token
    family = source.token_family if source is not None else None
    if family:
        token_family_revoke(token_family=family)
    elif refresh_token is not None:
        refresh_token.revoke()
    get_access_token_model().objects.filter(pk=access_token.pk).delete()
    AuditEvent.objects.record(
        event=AuditEvent.Type.TOKEN_REVOKED,
        request=request,
        actor=actor,
        user=access_token.user,
        application=access_token.application,
        access_token_id=access_token.pk,
        token_family=str(family or ""),
        via="admin",
    )
    return True


@transaction.atomic
def refresh_token_revoke(*, refresh_token, actor, request=None) -> bool:
    """Revoke a refresh token's whole family (every member and their access tokens).

    Returns False when nothing in the family was still alive.
    """
    family = refresh_token.token_family
    refresh_tokens = get_refresh_token_model().objects
    members = (
        refresh_tokens.filter(token_family=family)
        if family
        else refresh_tokens.filter(pk=refresh_token.pk)
    )
    if not members.filter(revoked__isnull=True).exists():
        return False
    if family:
        token_family_revoke(token_family=family)
    else:
        refresh_token.revoke()
    AuditEvent.objects.record(
        event=AuditEvent.Type.TOKEN_REVOKED,
        request=request,
        actor=actor,
        user=refresh_token.user,
        application=refresh_token.application,
        refresh_token_id=refresh_token.pk,
        token_family=str(family or ""),
        via="admin",
    )
    return True


@transaction.atomic
def consent_revoke_by_admin(*, consent, actor, request=None) -> None:
    """Withdraw a user's consent for an app (and its tokens) on an admin's decision."""
    from oauth_portal.server.consents import (
        consent_revoke,  # oauth_portal.server.consents imports this module
    )

    consent_revoke(user=consent.user, application=consent.application, request=request)
    AuditEvent.objects.record_admin_action(
        actor=actor,
        action="consent_revoked",
        request=request,
        user=consent.user,
        application=consent.application,
    )


def signing_key_published_lifetime() -> timedelta:
    """How long a retired key must stay in the JWKS.

    The longest-lived token it can have signed, plus the time other processes may keep signing
    with it before they re-read the keys (``PORTAL_SIGNING_KEY_CACHE_SECONDS``).
    """
    from oauth2_provider.settings import oauth2_settings

    lifetime = max(
        oauth2_settings.ID_TOKEN_EXPIRE_SECONDS, oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    )
    return timedelta(seconds=lifetime + app_settings.PORTAL_SIGNING_KEY_CACHE_SECONDS)


def signing_key_rotate(*, actor=None, request=None) -> SigningKey:
    """Retire the current signing key and make a new one current; return the new key.

    The retired key stays published until every token it signed has expired. Retiring comes
    before creating, because at most one key may be current (``one_current_signing_key``).
    This process forgets its memoised keys now; others re-read within
    ``PORTAL_SIGNING_KEY_CACHE_SECONDS``.
    """
    from oauth_portal.server.signing_keys import forget_memoised_keys

    pem = generate_private_key_pem()
    kid = jwk.JWK.from_pem(pem.encode("ascii")).thumbprint()
    # Two rotations at once: the one that waited on the lock finds no current key left to
    # retire (READ COMMITTED re-checks the locked row) and its insert hits the constraint.
    # Trying again then retires the key the other rotation just made.
    for attempt in range(3):
        try:
            key = _signing_key_replace(pem=pem, kid=kid, actor=actor, request=request)
            break
        except IntegrityError:
            if attempt == 2:
                raise
    # Now for this process, and again once an enclosing transaction commits (until then other
    # requests still read the old key and may memoise it).
    forget_memoised_keys()
    transaction.on_commit(forget_memoised_keys)
    return key


def _signing_key_replace(*, pem: str, kid: str, actor, request) -> SigningKey:
    now = timezone.now()
    with transaction.atomic():
        retired = SigningKey.objects.select_for_update().filter(is_current=True).first()
        if retired is not None:
            retired.is_current = False
            retired.retired_at = now
            retired.published_until = now + signing_key_published_lifetime()
            retired.save(update_fields=["is_current", "retired_at", "published_until"])
        key = SigningKey.objects.create(
            kid=kid, private_key_encrypted=private_key_encrypt(pem), is_current=True
        )
        AuditEvent.objects.record(
            event=AuditEvent.Type.SIGNING_KEY_ROTATED,
            request=request,
            actor=actor,
            kid=kid,
            retired_kid=retired.kid if retired else "",
            retired_published_until=retired.published_until.isoformat() if retired else "",
        )
    return key


@transaction.atomic
def signing_keys_reencrypt(*, actor=None) -> int:
    """Encrypt every stored signing key again under the first encryption key; return how many.

    The step that retires an encryption key: once it has run, no row needs the old key. All or
    nothing: a key no configured encryption key opens stops it before anything is written.
    """
    keys = list(SigningKey.objects.select_for_update().order_by("pk"))
    for key in keys:
        key.private_key_encrypted = private_key_reencrypt(key.private_key_encrypted, kid=key.kid)
    SigningKey.objects.bulk_update(keys, ["private_key_encrypted"])
    AuditEvent.objects.record_admin_action(
        actor=actor, action="signing_keys_reencrypted", keys=len(keys)
    )
    return len(keys)


# --- Portal ---------------------------------------------------------------------------------------
# The developer portal's changes to an app, built on the client lifecycle above (which writes the
# audit events). The playground's callback is one more exact-match redirect URI, added and
# removed only here, so ``Application.redirect_uri_allowed`` needs no special case.

# Each kind of app a developer picks, as DOT's client type and grant.
PORTAL_KIND_PROTOCOL = {
    Application.Kind.WEB: (Application.CLIENT_CONFIDENTIAL, Application.GRANT_AUTHORIZATION_CODE),
    Application.Kind.SPA: (Application.CLIENT_PUBLIC, Application.GRANT_AUTHORIZATION_CODE),
    Application.Kind.NATIVE: (Application.CLIENT_PUBLIC, Application.GRANT_AUTHORIZATION_CODE),
    Application.Kind.SERVICE: (
        Application.CLIENT_CONFIDENTIAL,
        Application.GRANT_CLIENT_CREDENTIALS,
    ),
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
    gets a secret, shown once), a single-page or native app is public (PKCE, no secret).
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
        **fields,
    )


@transaction.atomic
def portal_application_settings_change(
    *, application: Application, actor, data: dict, playground_callback_url: str, request=None
) -> list[str]:
    """Apply the portal's settings form to ``application``; returns the names that changed.

    ``data`` holds lists of URIs and origins (the playground callback is kept as it was) and
    the allowed and required scopes. Nothing is saved, nor recorded, when nothing changed.
    """
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
    changed = [name for name, value in values.items() if getattr(application, name) != value]
    scopes = {name: set(data[name]) for name in ("allowed_scopes", "required_scopes")}
    changed += [
        name for name, new in scopes.items() if set(getattr(application, name).all()) != new
    ]
    if not changed:
        return []
    for name, value in values.items():
        setattr(application, name, value)
    application_update(application=application, actor=actor, changed=changed, request=request)
    for name, new in scopes.items():
        getattr(application, name).set(new)
    return changed


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
