"""Small helpers that speak the protocol the way a client would, through Django's test client."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.factories import CLIENT_SECRET


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def basic_auth(client_id: str, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def authorize_params(
    app,
    *,
    challenge: str,
    scope: str = "openid profile email colors:read colors:write",
    state: str = "xyz-state",
    redirect_uri: str | None = None,
    **extra,
) -> dict:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri or app.redirect_uris.split()[0],
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": "n-0S6_WzA2Mj",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def authorize_url(params: dict) -> str:
    return "/o/authorize/?" + urlencode(params)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent_form_data(response, *, untick: tuple[str, ...] = ()) -> dict:
    """The consent page's form as a browser would post it: DOT's hidden fields, plus the
    optional-scope checkboxes (ticked by default) minus those in ``untick``."""
    form = response.context["form"]
    data = {
        name: field.value() or ""
        for name, field in ((n, form[n]) for n in form.fields)
        if name != "allow"
    }
    data["granted_scope"] = [
        row["name"]
        for row in response.context["scope_rows"]
        if row.get("optional") and row["name"] not in untick
    ]
    return data


def approve(client, app, *, challenge: str, **params) -> str:
    """Open the consent page, press Allow, and return the redirect's Location."""
    response = client.get(authorize_url(authorize_params(app, challenge=challenge, **params)))
    assert response.status_code == 200, response.content[:500]
    data = consent_form_data(response)
    data["allow"] = "true"
    response = client.post("/o/authorize/", data)
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def get_code(client, app, **params) -> tuple[str, str]:
    """Run sign-in-free consent for ``app`` and return (code, verifier)."""
    verifier, challenge = pkce_pair()
    location = approve(client, app, challenge=challenge, **params)
    return query_of(location)["code"], verifier


def redeem(
    client,
    app,
    code: str,
    verifier: str,
    *,
    secret: str | None = CLIENT_SECRET,
    redirect_uri: str | None = None,
):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri or app.redirect_uris.split()[0],
        "code_verifier": verifier,
    }
    headers = {}
    if app.client_type == "confidential" and secret is not None:
        headers["HTTP_AUTHORIZATION"] = basic_auth(app.client_id, secret)
    else:
        data["client_id"] = app.client_id
    return client.post("/o/token/", data, **headers)


def mint_access_token(*, user, app, scope: str, expires_in: int = 3600) -> str:
    """An access token stored as the server stores them (checksum only), for API tests."""
    import secrets as _secrets
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, set_token_value

    value = _secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=user,
        application=app,
        scope=scope,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )
    set_token_value(token, value)
    token.save()
    return value


def token_request(client, app, data: dict, *, secret: str = CLIENT_SECRET):
    """POST ``data`` to the token endpoint as ``app``, authenticating with HTTP Basic."""
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth(app.client_id, secret))
