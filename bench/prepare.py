"""The bench's data, written through Django in a process of its own (same env as the server).

    python -m bench.prepare setup   --state STATE.json [--users N] [--tokens N]
    python -m bench.prepare mint    --state STATE.json --kind codes|refresh|revoke --count N --out F
    python -m bench.prepare cleanup --state STATE.json

``setup`` creates two clients (a confidential web app and a client-credentials service), users
with stored consent, a few colors, reusable access tokens and the signing key. ``mint`` writes
single-use items (authorization codes with their PKCE verifiers, refresh tokens, access tokens
to revoke) just before the scenario that spends them, and their raw values to a JSON file for
the load generator. Tokens are stored the way the server stores them (checksums only), so the
server cannot tell them from ones it issued. ``cleanup`` deletes everything a run created.
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import sqlite3
import uuid
from datetime import timedelta

SCOPE = "openid profile email colors:read"
SERVICE_SCOPE = "colors:read"
REDIRECT_URI = "https://bench.example.test/callback"
# Far enough ahead that a minted code outlives any bounded run (DOT only checks ``expires``).
ITEM_LIFETIME = timedelta(hours=2)
BATCH = 500
COLORS = [("Sky", "#3366ff"), ("Grass", "#33aa44"), ("Sun", "#ffcc00"), ("Rose", "#ee3366")]


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _models():
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_refresh_token_model,
    )

    return get_access_token_model(), get_refresh_token_model(), get_grant_model()


def _access_token(*, user, application, scope: str = SCOPE):
    """An unsaved access token and its raw value (stored as DOT stores it: checksum only)."""
    from django.utils import timezone
    from oauth2_provider.models import set_token_value

    access_model, _, _ = _models()
    raw = secrets.token_urlsafe(30)
    token = access_model(
        user=user, application=application, scope=scope, expires=timezone.now() + ITEM_LIFETIME
    )
    set_token_value(token, raw)
    return token, raw


def _access_tokens(*, users: list, application, count: int) -> list[str]:
    access_model, _, _ = _models()
    pairs = [
        _access_token(user=users[i % len(users)], application=application) for i in range(count)
    ]
    access_model.objects.bulk_create([token for token, _ in pairs], batch_size=BATCH)
    return [raw for _, raw in pairs]


def _jwt_access_tokens(*, user, application, count: int) -> list[str]:
    """RFC 9068 access tokens for the Colors API, signed and recorded as the token endpoint
    does it for a JWT-format API (the API's own format setting is left as it is)."""
    from oauth2_provider.models import set_token_value
    from oauth2_provider.settings import oauth2_settings

    from oauth_portal.server import registry
    from oauth_portal.server.access_tokens import jwt_claims, sign
    from oauth_portal.server.models import JwtAccessToken

    audience = registry.api_serving("/api/colors/").identifier
    tokens, raws = [], []
    for _ in range(count):
        claims = jwt_claims(
            issuer=oauth2_settings.OIDC_ISS_ENDPOINT,  # bench.run sets PORTAL_ISSUER
            user_id=user.pk,
            client_id=application.client_id,
            audiences=[audience],
            scope=SCOPE,
            lifetime_seconds=int(ITEM_LIFETIME.total_seconds()),
        )
        token, _ = _access_token(user=user, application=application)
        raws.append(sign(claims))
        set_token_value(token, raws[-1])
        token.resource = [audience]
        token.save()  # one by one: JwtAccessToken needs the row's primary key
        tokens.append(JwtAccessToken(access_token=token, jti=claims["jti"], expires=token.expires))
    JwtAccessToken.objects.bulk_create(tokens, batch_size=BATCH)
    return raws


def _cache_backend() -> str:
    from django.conf import settings

    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _database_info() -> dict:
    from django.db import connection

    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        return {"engine": "postgresql", "version": f"{major}.{minor}"}
    return {"engine": connection.vendor, "version": sqlite3.sqlite_version}


def _create_users(run_id: str, count: int) -> list:
    from django.contrib.auth import get_user_model

    users = [
        get_user_model()(username=f"bench-{run_id}-{i}", email=f"bench-{run_id}-{i}@example.test")
        for i in range(count)
    ]
    for user in users:
        user.set_unusable_password()  # nobody signs in; hashing a password here would only cost
    return get_user_model().objects.bulk_create(users, batch_size=BATCH)


def _create_application(*, run_id: str, kind: str, owner, grant_type: str):
    from oauth_portal.server.models import Application

    secret = secrets.token_urlsafe(48)
    app = Application(
        name=f"Bench {kind} {run_id}",
        client_id=f"bench-{run_id}-{kind}",
        client_secret=secret,  # hashed by DOT on save, with our keyed fast hasher
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type,
        redirect_uris=REDIRECT_URI if grant_type == Application.GRANT_AUTHORIZATION_CODE else "",
        algorithm=Application.RS256_ALGORITHM,
        user=owner,
    )
    app.kind = app.derived_kind()
    app.save()
    return app, secret


def setup(*, run_id: str, users: int, tokens: int) -> dict:
    """Clients, users with consent, colors, reusable tokens and the signing key; returns state."""
    from django.db import transaction

    from apis.models import Color
    from oauth_portal.server.models import ApiResource, Application, Consent, SigningKey
    from oauth_portal.server.signing_keys import current_private_key_pem

    # Each run has a random secret key, and the signing keys are encrypted under it: the keys a
    # run creates are deleted with its other rows, so the next run on the same database starts
    # its own.
    earlier_signing_keys = list(SigningKey.objects.values_list("pk", flat=True))
    _as_autovacuum_would("VACUUM (ANALYZE)")  # the rows earlier runs deleted
    with transaction.atomic():
        people = _create_users(run_id, users)
        web, web_secret = _create_application(
            run_id=run_id,
            kind="web",
            owner=people[0],
            grant_type=Application.GRANT_AUTHORIZATION_CODE,
        )
        service, service_secret = _create_application(
            run_id=run_id,
            kind="service",
            owner=people[0],
            grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        )
        # The introspection scenario asks as the service about the web app's tokens: it may,
        # as a resource server of the API those tokens are for.
        ApiResource.objects.get(scopes__name=SERVICE_SCOPE).resource_servers.add(service)
        Consent.objects.bulk_create(
            [Consent(user=person, application=web, scope=SCOPE) for person in people]
        )
        Color.objects.bulk_create([Color(owner=people[0], name=n, hex=h) for n, h in COLORS])
        api_tokens = _access_tokens(users=people[:1], application=web, count=tokens)
        introspect_tokens = _access_tokens(users=people, application=web, count=tokens)
        jwt_api_tokens = _jwt_access_tokens(user=people[0], application=web, count=tokens)
    current_private_key_pem()  # create the signing key now, not in the first timed request
    _as_autovacuum_would("ANALYZE")
    return {
        "run_id": run_id,
        "database": _database_info(),
        "cache": _cache_backend(),
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "service_scope": SERVICE_SCOPE,
        "web": {"pk": web.pk, "client_id": web.client_id, "client_secret": web_secret},
        "service": {
            "pk": service.pk,
            "client_id": service.client_id,
            "client_secret": service_secret,
        },
        "user_pks": [person.pk for person in people],
        "earlier_signing_keys": earlier_signing_keys,
        "ceiling_user_id": people[0].pk,
        "api_tokens": api_tokens,
        "introspect_tokens": introspect_tokens,
        "jwt_api_tokens": jwt_api_tokens,
    }


def mint_codes(*, application, users: list, count: int) -> list[dict]:
    """Authorization codes as the consent step leaves them, with the verifier the client keeps."""
    from django.utils import timezone

    _, _, grant_model = _models()
    expires = timezone.now() + ITEM_LIFETIME
    items, grants = [], []
    for i in range(count):
        code, verifier = secrets.token_urlsafe(30), secrets.token_urlsafe(48)
        items.append({"code": code, "verifier": verifier})
        grants.append(
            grant_model(
                application=application,
                user=users[i % len(users)],
                code=code,
                expires=expires,
                redirect_uri=REDIRECT_URI,
                scope=SCOPE,
                code_challenge=s256(verifier),
                code_challenge_method="S256",
                nonce=secrets.token_urlsafe(12),
                claims="{}",
            )
        )
    grant_model.objects.bulk_create(grants, batch_size=BATCH)
    return items


def mint_refresh_tokens(*, application, users: list, count: int) -> list[dict]:
    """Refresh tokens, each with its access token and a family of its own, as a code leaves them."""
    from oauth2_provider.models import set_token_value

    access_model, refresh_model, _ = _models()
    pairs = [
        _access_token(user=users[i % len(users)], application=application) for i in range(count)
    ]
    access_model.objects.bulk_create([token for token, _ in pairs], batch_size=BATCH)
    items, refresh_tokens = [], []
    for access, _ in pairs:
        raw = secrets.token_urlsafe(30)
        token = refresh_model(
            user=access.user,
            application=application,
            access_token=access,
            token_family=uuid.uuid4(),
        )
        set_token_value(token, raw)
        refresh_tokens.append(token)
        items.append({"refresh_token": raw})
    refresh_model.objects.bulk_create(refresh_tokens, batch_size=BATCH)
    return items


def mint(*, state: dict, kind: str, count: int) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from oauth_portal.server.models import Application

    application = Application.objects.get(pk=state["web"]["pk"])
    users = list(get_user_model().objects.filter(pk__in=state["user_pks"]))
    with transaction.atomic():
        if kind == "codes":
            items = mint_codes(application=application, users=users, count=count)
        elif kind == "refresh":
            items = mint_refresh_tokens(application=application, users=users, count=count)
        else:
            raw = _access_tokens(users=users, application=application, count=count)
            items = [{"token": value} for value in raw]
    _as_autovacuum_would("ANALYZE")
    return items


def _as_autovacuum_would(command: str) -> None:
    """On PostgreSQL, ``command`` (``ANALYZE``, ``VACUUM (ANALYZE)``) on the tables a run writes.

    PostgreSQL plans by its statistics, which autovacuum keeps current. Where it is off (as on
    some CI machines) a minted pool of thousands of codes sits in tables the statistics still
    call empty, every lookup by checksum is planned as a scan of them, and each run leaves the
    rows it deleted behind for the next: measured here, a refresh's database CPU went from 2.2
    to 4.1 ms after a plain ``VACUUM (ANALYZE)`` of the emptied tables, and to 1.3 ms once the
    pool was analyzed. Production runs autovacuum; so, in effect, does the bench.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection
    from oauth2_provider.models import get_id_token_model

    from oauth_portal.audit.models import AuditEvent
    from oauth_portal.server.models import Application, Consent, JwtAccessToken, RedeemedCode

    if connection.vendor != "postgresql":
        return
    models = [
        *_models(),
        get_id_token_model(),
        JwtAccessToken,
        RedeemedCode,
        AuditEvent,
        Consent,
        Application,
        get_user_model(),
    ]
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {tables}")


def cleanup(*, state: dict) -> None:
    """Delete the run's clients, users and signing keys; their tokens, codes and colors cascade."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from oauth_portal.audit.models import AuditEvent
    from oauth_portal.server.models import Application, SigningKey

    apps = [state["web"]["pk"], state["service"]["pk"]]
    with transaction.atomic():
        SigningKey.objects.exclude(pk__in=state["earlier_signing_keys"]).delete()
        AuditEvent.objects.filter(application__in=apps).delete()
        AuditEvent.objects.filter(user__in=state["user_pks"]).delete()
        Application.objects.filter(pk__in=apps).delete()
        get_user_model().objects.filter(pk__in=state["user_pks"]).delete()


def _write_json(path: str, data) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def _read_json(path: str):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["setup", "mint", "cleanup"])
    parser.add_argument("--state", required=True)
    parser.add_argument("--run-id", default=secrets.token_hex(4))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--kind", choices=["codes", "refresh", "revoke"])
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--out")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    if args.command == "setup":
        state = setup(run_id=args.run_id, users=args.users, tokens=args.tokens)
        _write_json(args.state, state)
    elif args.command == "mint":
        items = mint(state=_read_json(args.state), kind=args.kind, count=args.count)
        _write_json(args.out, items)
    else:
        cleanup(state=_read_json(args.state))


if __name__ == "__main__":
    main()
