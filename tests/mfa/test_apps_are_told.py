"""Apps learn how the user signed in (ID tokens' amr and acr), may ask for a second factor
with acr_values or by a setting, and then the user is stepped up before consent."""

import json
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from jwcrypto import jwk, jwt

from oauth_portal.server.sign_in_methods import ACR_MULTI_FACTOR, ACR_PASSWORD
from tests.mfa.mfa_helpers import authenticator_app, current_code, second_step, sign_in
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    consent_form_data,
    get_code,
    pkce_pair,
    query_of,
    redeem,
    token_request,
)

pytestmark = pytest.mark.django_db


def id_token_claims(client, id_token: str) -> dict:
    jwks = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    return json.loads(jwt.JWT(jwt=id_token, key=jwks, algs=["RS256"]).claims)


def tokens_for(client, app, **params) -> dict:
    code, verifier = get_code(client, app, scope="openid", **params)
    response = redeem(client, app, code, verifier)
    assert response.status_code == 200, response.content
    return response.json()


def test_discovery_lists_the_acr_values(client, db):
    document = client.get("/o/.well-known/openid-configuration").json()
    assert document["acr_values_supported"] == [ACR_PASSWORD, ACR_MULTI_FACTOR]


def test_password_sign_in_is_pwd(client, user, app):
    sign_in(client, "alice")
    claims = id_token_claims(client, tokens_for(client, app)["id_token"])
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == ACR_PASSWORD
    assert isinstance(claims["auth_time"], int)


def test_second_factor_is_told_and_survives_refresh(client, user, app):
    device = authenticator_app(user)
    sign_in(client, "alice")
    second_step(client, current_code(device))
    tokens = tokens_for(client, app)
    claims = id_token_claims(client, tokens["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == ACR_MULTI_FACTOR

    refreshed = token_request(
        client, app, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ).json()
    again = id_token_claims(client, refreshed["id_token"])
    assert again["amr"] == ["pwd", "otp", "mfa"] and again["acr"] == ACR_MULTI_FACTOR


def test_app_asking_for_mfa_steps_a_password_only_user_up_first(client, user, app):
    sign_in(client, "alice")
    verifier, challenge = pkce_pair()
    url = authorize_url(
        authorize_params(app, challenge=challenge, scope="openid", acr_values=ACR_MULTI_FACTOR)
    )
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-step/step-up/?next=")

    # No factor yet: the step-up page offers to set one up, and comes back afterwards.
    step_up = client.get(response["Location"])
    assert "Set up an authenticator app" in step_up.content.decode()
    client.get("/accounts/two-step/authenticator/")
    device = TOTPDevice.objects.get(user=user)
    codes_page = client.post(
        "/accounts/two-step/authenticator/", {"code": current_code(device), "next": url}
    )
    continue_to = re.search(r'href="([^"]+)">I have saved them', codes_page.content.decode())[1]
    consent = client.get(continue_to.replace("&amp;", "&"))
    assert consent.status_code == 200
    data = consent_form_data(consent)
    data["allow"] = "true"
    code = query_of(client.post("/o/authorize/", data)["Location"])["code"]
    claims = id_token_claims(client, redeem(client, app, code, verifier).json()["id_token"])
    assert claims["acr"] == ACR_MULTI_FACTOR


def test_user_with_a_factor_confirms_it_at_the_step_up(client, user, app):
    device = authenticator_app(user)
    sign_in(client, "alice")
    second_step(client, current_code(device))
    # Signed in with two factors already: nothing more to do.
    verifier, challenge = pkce_pair()
    url = authorize_url(
        authorize_params(app, challenge=challenge, scope="openid", acr_values=ACR_MULTI_FACTOR)
    )
    assert client.get(url).status_code == 200


def test_app_that_requires_mfa_gets_no_code_for_a_password_sign_in(client, user, app):
    app.require_mfa = True
    app.save()
    sign_in(client, "alice")
    verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid")
    assert client.get(authorize_url(params))["Location"].startswith("/accounts/two-step/step-up/")
    # A consent form posted anyway (its hidden fields are easy to write) is refused.
    form = {**params, "allow": "true"}
    response = client.post("/o/authorize/", form)
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "access_denied"


def test_prompt_none_never_silently_skips_a_required_second_factor(client, user, app):
    app.require_mfa = True
    app.save()
    sign_in(client, "alice")
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid", prompt="none")
    response = client.get(authorize_url(params))
    assert response.status_code == 302
    assert "code" not in query_of(response["Location"])


@pytest.mark.parametrize(
    "claims, stepped_up",
    [
        ({"id_token": {"acr": {"essential": True, "values": [ACR_MULTI_FACTOR]}}}, True),
        ({"id_token": {"acr": {"essential": True, "value": ACR_MULTI_FACTOR}}}, True),
        ({"id_token": {"acr": {"values": [ACR_MULTI_FACTOR]}}}, False),  # voluntary
        ({"id_token": {"acr": {"essential": True, "values": [ACR_PASSWORD]}}}, False),
    ],
)
def test_an_essential_acr_claim_asks_for_mfa_too(client, user, app, claims, stepped_up):
    sign_in(client, "alice")
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid", claims=json.dumps(claims))
    response = client.get(authorize_url(params))
    went_to_step_up = response.get("Location", "").startswith("/accounts/two-step/step-up/")
    assert went_to_step_up is stepped_up


def test_password_session_of_a_user_with_a_factor_is_stepped_up_with_it(client, user, app):
    sign_in(client, "alice")
    device = authenticator_app(user)  # set up since, from another browser
    verifier, challenge = pkce_pair()
    url = authorize_url(
        authorize_params(app, challenge=challenge, scope="openid", acr_values=ACR_MULTI_FACTOR)
    )
    step_up = client.get(client.get(url)["Location"])
    assert step_up["Location"].startswith("/accounts/two-step/second-step/?next=")
    assert client.get(step_up["Location"]).status_code == 200
    assert second_step(client, current_code(device), next_url=url)["Location"] == url
    consent = client.get(url)
    data = consent_form_data(consent)
    data["allow"] = "true"
    code = query_of(client.post("/o/authorize/", data)["Location"])["code"]
    claims = id_token_claims(client, redeem(client, app, code, verifier).json()["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]
