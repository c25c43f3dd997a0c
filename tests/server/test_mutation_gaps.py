"""Protections that a mutation round (removing each protection in turn) found no test guarding.

Each test names the attack it stops and fails when that protection is removed.
"""

import html
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_refresh_token_model

from oauth_portal.server import consents
from oauth_portal.server.client_secrets import ClientSecretHMACHasher
from oauth_portal.server.models import Application
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import CLIENT_SECRET, ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    get_code,
    pkce_pair,
    redeem,
    token_request,
)

RefreshToken = get_refresh_token_model()


# --- A replayed code revokes its whole family, at a constant cost ----------------------------


def rotated_family(client, app, generations: int) -> tuple[str, str, str]:
    """Redeem a fresh code, rotate its refresh token ``generations - 1`` times; return the
    code, its verifier and the family's latest refresh token."""
    code, verifier = get_code(client, app, prompt="consent", scope="colors:read")
    latest = redeem(client, app, code, verifier).json()["refresh_token"]
    for _ in range(generations - 1):
        response = token_request(
            client, app, {"grant_type": "refresh_token", "refresh_token": latest}
        )
        assert response.status_code == 200, response.content[:500]
        latest = response.json()["refresh_token"]
    return code, verifier, latest


def queries_to_answer_replay(client, app, code: str, verifier: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        replay = redeem(client, app, code, verifier)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_replaying_a_code_kills_a_long_rotated_family_in_as_many_queries_as_a_short_one(
    signed_in, app, settings
):
    """An attacker replaying a stolen code cannot make the server do work proportional to
    how long the victim's session has been refreshing (services.token_family_revoke must stay
    set-based, as DOT's revoke_family is for a replayed refresh token)."""
    # Rate-limit counters cost more queries on a window's first request than on the next ones.
    settings.PORTAL_RATELIMIT_ENABLE = False
    short = rotated_family(signed_in, app, 3)
    long = rotated_family(signed_in, app, 30)

    short_queries = queries_to_answer_replay(signed_in, app, *short[:2])
    long_queries = queries_to_answer_replay(signed_in, app, *long[:2])

    assert long_queries == short_queries
    for _code, _verifier, latest in (short, long):
        refresh = token_request(
            signed_in, app, {"grant_type": "refresh_token", "refresh_token": latest}
        )
        assert refresh.json()["error"] == "invalid_grant"


# --- Withdrawn consent revokes refresh tokens outright ---------------------------------------


@pytest.mark.django_db
def test_withdrawn_consent_revokes_refresh_tokens_instead_of_leaving_them_orphaned(
    signed_in, app, user
):
    """After the user removes an app, its refresh tokens are revoked, not merely left without
    an access token (which DOT happens to refuse today): the admin's "Not revoked" list and
    anything else reading ``revoked`` must not show them live."""
    code, verifier = get_code(signed_in, app)
    tokens = redeem(signed_in, app, code, verifier).json()

    consents.consent_revoke(user=user, application=app)

    refresh = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.filter(
        user=user, application=app, revoked__isnull=True
    ).exists()


# --- Client secrets are hashed under the server's key -----------------------------------------


@pytest.mark.django_db
def test_stolen_secret_hash_cannot_confirm_a_guess_without_the_server_key(app, settings):
    """Someone holding a copy of the database but not the server's key cannot check a guessed
    client secret offline, not even the right one: the HMAC is keyed with
    PORTAL_CLIENT_SECRET_KEY (or DJANGO_SECRET_KEY), not a constant."""
    stored = Application.objects.get(pk=app.pk).client_secret
    assert ClientSecretHMACHasher().verify(CLIENT_SECRET, stored)

    settings.PORTAL_CLIENT_SECRET_KEY = "the-attackers-best-guess-at-our-key"

    assert not ClientSecretHMACHasher().verify(CLIENT_SECRET, stored)


# --- Headers the header tests did not look at -------------------------------------------------


@pytest.mark.django_db
def test_pages_keep_a_cross_origin_opener_from_scripting_them(client):
    """A page opened by another site with window.open cannot reach back into ours (and ours
    is put in its own browsing context group)."""
    response = client.get("/accounts/login/")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_demo_callback_showing_a_code_is_neither_cached_nor_leaked_in_referer(client):
    """The demo callback page prints the authorization code: a shared cache must not keep it,
    and a link followed from the page must not carry the code in its Referer."""
    response = client.get("/demo/callback", {"code": "c0de-from-the-query", "state": "s"})

    assert response.status_code == 200
    assert b"c0de-from-the-query" in response.content
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


# --- A real browser refuses to frame the consent page -----------------------------------------


@pytest.fixture
def chromium_page(settings, monkeypatch):
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test still uses the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server speaks plain http; with debug off the session cookie would be Secure.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        yield page
        page.wait_for_load_state("networkidle")
        browser.close()


@pytest.fixture
def attacker_site():
    """The attacker's web server, on another origin of our site (127.0.0.1, another port), as a
    sibling subdomain would be: our SameSite=Lax session cookie goes along into its frames.
    Yields its base URL and the pages it serves (path -> HTML)."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", pages
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_page_on_a_sibling_origin_cannot_frame_the_consent_page(
    chromium_page, attacker_site, live_server
):
    """Clickjacking: the attacker's page puts our consent page, for a signed-in user, in an
    iframe to trick them into pressing Allow. The server sends the page; the browser must
    refuse to show it (X-Frame-Options: DENY, CSP frame-ancestors 'none')."""
    page = chromium_page
    attacker_url, attacker_pages = attacker_site
    server_url = live_server.url.replace("localhost", "127.0.0.1")
    UserFactory(username="alice")
    app = ApplicationFactory(name="Framed App")
    _verifier, challenge = pkce_pair()
    consent_url = server_url + authorize_url(authorize_params(app, challenge=challenge))
    attacker_pages["/win-a-prize"] = (
        f'<h1>Click!</h1><iframe src="{html.escape(consent_url)}" width="800"></iframe>'
    )

    page.goto(f"{server_url}/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    with page.expect_response(lambda response: "/o/authorize/" in response.url) as served:
        page.goto(f"{attacker_url}/win-a-prize")
    page.wait_for_load_state("load")

    assert served.value.status == 200  # signed in: the consent page itself was sent...
    framed = page.frame_locator("iframe")
    assert framed.get_by_role("button", name="Allow").count() == 0  # ...but never shown
    assert framed.get_by_text("Framed App").count() == 0
