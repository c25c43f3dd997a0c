import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from oauth_portal.demo import CONFIDENTIAL_CLIENT_ID, PUBLIC_CLIENT_ID
from oauth_portal.server.models import Application
from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {"admin", "alice", "dev"}
DEMO_CLIENT_IDS = {PUBLIC_CLIENT_ID, CONFIDENTIAL_CLIENT_ID}
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/demo/callback"
FIXED_PASSWORDS = {"admin": "admin-demo-pass", "alice": "alice-demo-pass", "dev": "dev-demo-pass"}
FIXED_SECRET = "demo-web-app-secret-0123456789"


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"username: (\S+)\s+password: (\S+)", output))


def printed_secret(output: str) -> str:
    match = re.search(rf"client_id: {CONFIDENTIAL_CLIENT_ID}\s+client_secret: (\S+)", output)
    assert match, output
    return match.group(1)


def can_sign_in(client, username: str, password: str) -> bool:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_seed_demo_refuses_with_debug_off_and_creates_nothing(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        seed_demo()

    assert not get_user_model().objects.filter(username__in=DEMO_USERNAMES).exists()
    assert not Application.objects.filter(client_id__in=DEMO_CLIENT_IDS).exists()


def test_seed_demo_with_debug_creates_demo_people_and_clients(settings):
    settings.DEBUG = True

    output = seed_demo()

    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES)
    assert set(users.values_list("username", flat=True)) == DEMO_USERNAMES
    assert users.get(username="admin").is_superuser
    assert not users.get(username="alice").is_staff
    apps = {app.client_id: app for app in Application.objects.filter(client_id__in=DEMO_CLIENT_IDS)}
    assert set(apps) == DEMO_CLIENT_IDS
    assert apps[PUBLIC_CLIENT_ID].client_type == Application.CLIENT_PUBLIC
    assert apps[CONFIDENTIAL_CLIENT_ID].client_type == Application.CLIENT_CONFIDENTIAL
    assert apps[CONFIDENTIAL_CLIENT_ID].user.username == "dev"
    assert DEMO_REDIRECT_URI in apps[CONFIDENTIAL_CLIENT_ID].redirect_uris.split()
    # The credentials are printed, and they are the ones stored.
    assert printed_passwords(output) == FIXED_PASSWORDS
    assert printed_secret(output) == FIXED_SECRET
    assert all(users.get(username=name).check_password(pw) for name, pw in FIXED_PASSWORDS.items())


def test_seed_demo_twice_creates_no_duplicates(settings, client):
    settings.DEBUG = True

    seed_demo()
    output = seed_demo()

    assert get_user_model().objects.filter(username__in=DEMO_USERNAMES).count() == 3
    assert Application.objects.filter(client_id__in=DEMO_CLIENT_IDS).count() == 2
    assert can_sign_in(client, "alice", printed_passwords(output)["alice"])


def test_seed_demo_forced_with_debug_off_uses_random_passwords_and_secret(settings, client):
    settings.DEBUG = False

    output = seed_demo("--force")

    passwords = printed_passwords(output)
    assert set(passwords) == DEMO_USERNAMES
    assert all(passwords[name] != fixed for name, fixed in FIXED_PASSWORDS.items())
    assert printed_secret(output) != FIXED_SECRET
    assert not can_sign_in(client, "alice", "alice-demo-pass")
    assert can_sign_in(client, "alice", passwords["alice"])


def test_forced_seed_replaces_fixed_demo_passwords_left_from_a_debug_run(settings, client):
    settings.DEBUG = True
    seed_demo()
    settings.DEBUG = False

    seed_demo("--force")

    assert not can_sign_in(client, "alice", "alice-demo-pass")
    assert not get_user_model().objects.get(username="admin").check_password("admin-demo-pass")


def test_seeded_confidential_client_completes_flow_with_printed_secret(settings, client):
    settings.DEBUG = True
    secret = printed_secret(seed_demo())
    web_app = Application.objects.get(client_id=CONFIDENTIAL_CLIENT_ID)
    client.force_login(get_user_model().objects.get(username="alice"))

    code, verifier = get_code(client, web_app, redirect_uri=DEMO_REDIRECT_URI)
    response = redeem(
        client, web_app, code, verifier, secret=secret, redirect_uri=DEMO_REDIRECT_URI
    )

    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["access_token"] and tokens["refresh_token"] and tokens["id_token"]
    assert web_app.accesstoken_set.filter(user__username="alice").count() == 1


def test_seeded_confidential_client_refuses_the_fixed_secret_after_a_forced_seed(settings, client):
    settings.DEBUG = False
    seed_demo("--force")
    web_app = Application.objects.get(client_id=CONFIDENTIAL_CLIENT_ID)
    client.force_login(get_user_model().objects.get(username="alice"))

    code, verifier = get_code(client, web_app, redirect_uri=DEMO_REDIRECT_URI)
    response = redeem(
        client, web_app, code, verifier, secret=FIXED_SECRET, redirect_uri=DEMO_REDIRECT_URI
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not web_app.accesstoken_set.exists()
