"""Framing: a page on a sibling origin cannot frame the signed-in consent page (clickjacking)."""

import html
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    pkce_pair,
)


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
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    with page.expect_response(lambda response: "/o/authorize/" in response.url) as served:
        page.goto(f"{attacker_url}/win-a-prize")
    page.wait_for_load_state("load")

    assert served.value.status == 200  # signed in: the consent page itself was sent...
    framed = page.frame_locator("iframe")
    assert framed.get_by_role("button", name="Allow").count() == 0  # ...but never shown
    assert framed.get_by_text("Framed App").count() == 0
