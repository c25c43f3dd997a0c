"""What a browser and a client do against a server over real HTTP, shared by the tests that run
one (``live_server``, gunicorn, the host project): sign in, consent, read discovery and the JWKS,
verify an ID token."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

HTTP_TIMEOUT = 10


class HiddenInputs(HTMLParser):
    """The hidden inputs of one form (by id), or of every form when ``form_id`` is None, and
    its ticked checkboxes (what a browser would submit with them)."""

    def __init__(self, form_id: str | None = None):
        super().__init__()
        self.form_id = form_id
        self.inside = form_id is None
        self.fields: dict[str, str] = {}
        self.ticked: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_id is not None:
            self.inside = attrs.get("id") == self.form_id
        elif tag == "input" and self.inside and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif (
            tag == "input"
            and self.inside
            and attrs.get("type") == "checkbox"
            and "checked" in attrs
        ):
            self.ticked.append((attrs["name"], attrs.get("value") or "on"))

    def handle_endtag(self, tag):
        if tag == "form" and self.form_id is not None:
            self.inside = False


def hidden_inputs(html: str, form_id: str | None = None) -> dict[str, str]:
    parser = HiddenInputs(form_id)
    parser.feed(html)
    return parser.fields


def ticked_checkboxes(html: str, form_id: str) -> list[tuple[str, str]]:
    parser = HiddenInputs(form_id)
    parser.feed(html)
    return parser.ticked


def sign_in(base_url: str, username: str, password: str) -> requests.Session:
    """A browser session signed in at ``/accounts/login/``, as a person would do it."""
    browser = requests.Session()
    login_url = f"{base_url}/accounts/login/"
    page = browser.get(login_url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    token = hidden_inputs(page.text)["csrfmiddlewaretoken"]
    response = browser.post(
        login_url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302, (
        f"sign-in failed: {response.status_code} {response.text[:500]}"
    )
    return browser


def approve_consent(browser: requests.Session, authorization_url: str) -> str:
    """Open the consent page, press Allow, and return the redirect's Location (not followed)."""
    page = browser.get(authorization_url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200, f"no consent page: {page.status_code} {page.text[:500]}"
    fields = hidden_inputs(page.text, form_id="consent-form")
    assert {"client_id", "redirect_uri", "code_challenge", "csrfmiddlewaretoken"} <= fields.keys()
    consent_url = urlsplit(authorization_url)._replace(query="").geturl()
    response = browser.post(
        consent_url,
        data=[*fields.items(), *ticked_checkboxes(page.text, "consent-form"), ("allow", "true")],
        headers={"Referer": authorization_url},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 302, (
        f"consent failed: {response.status_code} {response.text[:500]}"
    )
    return response.headers["Location"]


def discovery(base_url: str) -> dict:
    response = requests.get(f"{base_url}/o/.well-known/openid-configuration", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def published_jwks(base_url: str) -> dict:
    response = requests.get(f"{base_url}/o/.well-known/jwks.json", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def verified_id_token_claims(
    id_token: str, jwks: dict, *, issuer: str, client_id: str, nonce: str
) -> dict:
    """Verify signature, issuer, audience, nonce and lifetime; return the claims."""
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(token.claims)
    return token.claims


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
