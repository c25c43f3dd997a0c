"""Demo data for `make run`: three people and two apps that work on localhost.

Shared by the ``seed_demo`` command and the tests that check it; idempotent, so running it
again resets the demo credentials instead of duplicating anything.
"""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from oauth_portal.server.models import Application

DEMO_CALLBACK_PATH = "/demo/callback"
PUBLIC_CLIENT_ID = "demo-public-app"
CONFIDENTIAL_CLIENT_ID = "demo-web-app"


@dataclass
class DemoCredentials:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # (role, username, password)
    clients: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, client_id, secret)


def _password(fixed: str, random_passwords: bool) -> str:
    return secrets.token_urlsafe(18) if random_passwords else fixed


def _user(username: str, password: str, **fields):
    user, _ = get_user_model().objects.update_or_create(username=username, defaults=fields)
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def demo_seed(*, base_url: str = "http://127.0.0.1:8000", random_passwords: bool = False):
    """Create or reset the demo people and apps and return their credentials.

    With ``random_passwords`` (used when forced with debug off) nobody gets a guessable
    password or secret.
    """
    creds = DemoCredentials()
    people = [
        ("admin", "admin", "admin-demo-pass", {"is_staff": True, "is_superuser": True}),
        ("end user", "alice", "alice-demo-pass", {"first_name": "Alice", "last_name": "Liddell"}),
        ("developer", "dev", "dev-demo-pass", {"first_name": "Dana", "last_name": "Developer"}),
    ]
    users = {}
    for role, username, fixed, extra in people:
        password = _password(fixed, random_passwords)
        users[username] = _user(
            username, password, email=f"{username}@example.test", email_verified=True, **extra
        )
        creds.users.append((role, username, password))

    callbacks = f"{base_url}{DEMO_CALLBACK_PATH} http://localhost:8000{DEMO_CALLBACK_PATH}"
    Application.objects.update_or_create(
        client_id=PUBLIC_CLIENT_ID,
        defaults={
            "name": "Demo single-page app",
            "description": "A public client: PKCE, no secret.",
            "homepage_url": "https://example.test/demo-spa",
            "user": users["dev"],
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": f"http://127.0.0.1:8000{DEMO_CALLBACK_PATH}",
            "post_logout_redirect_uris": f"http://127.0.0.1:8000{DEMO_CALLBACK_PATH}",
            "allowed_origins": "http://127.0.0.1:8000 http://localhost:8000",
            "algorithm": Application.RS256_ALGORITHM,
        },
    )
    creds.clients.append(("public (PKCE, no secret)", PUBLIC_CLIENT_ID, ""))

    secret = _password("demo-web-app-secret-0123456789", random_passwords)
    web_app, _ = Application.objects.update_or_create(
        client_id=CONFIDENTIAL_CLIENT_ID,
        defaults={
            "name": "Demo web app",
            "description": "A confidential client: a server-side app with a secret.",
            "homepage_url": "https://example.test/demo-web",
            "user": users["dev"],
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": callbacks,
            "post_logout_redirect_uris": callbacks,
            "algorithm": Application.RS256_ALGORITHM,
        },
    )
    web_app.client_secret = secret  # hashed by DOT on save
    web_app.save()
    creds.clients.append(("confidential (client secret)", CONFIDENTIAL_CLIENT_ID, secret))
    return creds
