"""Two-step verification plugged into the host site (Django's auth.User, its own sign-in page),
with only the settings and URL line docs/mfa.md gives (``host_with_mfa/``), under gunicorn.

The host's own /accounts/login/ knows nothing of second factors: the middleware asks for the
code after it, keeps ``next``, and the ID token tells the app ``amr``/``acr``."""

import secrets

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from django_otp.oath import TOTP

from tests.e2e.protocol_helpers import (
    approve_consent,
    discovery,
    hidden_inputs,
    published_jwks,
    verified_id_token_claims,
)
from tests.host_project.host_site import running_host

HTTP_TIMEOUT = 10
CLIENT_ID, CLIENT_SECRET = "host-mfa-app", secrets.token_urlsafe(32)
USERNAME, PASSWORD = "dora", "dora-" + secrets.token_urlsafe(12)
TOTP_KEY = secrets.token_hex(20)
MFA_ACR = "urn:oauth-portal:acr:mfa"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    create_dora = (
        "from django.contrib.auth import get_user_model; "
        "from django_otp.plugins.otp_totp.models import TOTPDevice; "
        "assert get_user_model()._meta.label == 'auth.User'; "
        f"user = get_user_model().objects.create_user({USERNAME!r}, 'd@example.test', "
        f"{PASSWORD!r}); "
        f"TOTPDevice.objects.create(user=user, name='app', confirmed=True, key={TOTP_KEY!r})"
    )
    with running_host(
        tmp_path_factory.mktemp("host_mfa"),
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scripts=(create_dora,),
        settings_module="host_with_mfa.settings",
        workers=1,
    ) as site:
        yield site["url"]


def totp_code() -> str:
    return f"{TOTP(bytes.fromhex(TOTP_KEY), 30, 0, 6, 0).token():06d}"


def post_form(browser, url: str, data: dict) -> requests.Response:
    page = browser.get(url, timeout=HTTP_TIMEOUT)
    fields = {**hidden_inputs(page.text), **data}
    return browser.post(
        page.url,
        data=fields,
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )


def test_host_sign_in_then_second_step_then_app_learns_mfa(host):
    metadata = discovery(host)
    oauth = OAuth2Session(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scope="openid",
        redirect_uri=f"{host}/callback",
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT,
    )
    verifier, nonce = generate_token(48), generate_token(20)
    url, _state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, acr_values=MFA_ACR
    )
    authorize_path = url[len(host) :]
    browser = requests.Session()

    # The host's own sign-in page, untouched: the password is only the first step.
    signed_in = post_form(
        browser,
        f"{host}/accounts/login/?next={requests.utils.quote(authorize_path)}",
        {"username": USERNAME, "password": PASSWORD},
    )
    assert signed_in.status_code == 302
    second_step = browser.get(f"{host}{signed_in.headers['Location']}", timeout=HTTP_TIMEOUT)
    assert second_step.url.startswith(f"{host}/accounts/two-step/second-step/")
    assert browser.get(f"{host}/portal/", allow_redirects=False).status_code == 302

    done = browser.post(
        second_step.url,
        data={**hidden_inputs(second_step.text), "code": totp_code()},
        headers={"Referer": second_step.url},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT,
    )
    assert done.status_code == 302 and done.headers["Location"] == authorize_path

    location = approve_consent(browser, f"{host}{authorize_path}")
    token = oauth.fetch_token(
        metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    claims = verified_id_token_claims(
        token["id_token"],
        published_jwks(host),
        issuer=metadata["issuer"],
        client_id=CLIENT_ID,
        nonce=nonce,
    )
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == MFA_ACR
