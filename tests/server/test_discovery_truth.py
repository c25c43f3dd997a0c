"""Discovery tells the truth: every endpoint and flag it lists works as listed, and what it
says is unsupported is refused, never answered some other way."""

from html.parser import HTMLParser

import pytest

from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    consent_form_data,
    pkce_pair,
    query_of,
    redeem,
)

pytestmark = pytest.mark.django_db

DOCUMENTS = ["/o/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/o"]


class FormReader(HTMLParser):
    """The forms of a page as a browser without JavaScript sees them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.scripts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "inputs": {}, "buttons": 0})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"][attrs.get("name")] = attrs.get("value", "")
        elif tag == "button" and self.forms:
            self.forms[-1]["buttons"] += 1
        elif tag == "script":
            self.scripts.append(attrs)


def read_forms(html: bytes) -> FormReader:
    reader = FormReader()
    reader.feed(html.decode())
    return reader


@pytest.mark.parametrize("path", DOCUMENTS)
def test_both_documents_list_what_clients_now_expect(client, path):
    document = client.get(path).json()
    assert document["registration_endpoint"] == "http://testserver/o/register/"
    assert document["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert document["request_uri_parameter_supported"] is False
    assert document["request_parameter_supported"] is False
    assert "consent" in document["prompt_values_supported"]
    assert document["service_documentation"] == "http://testserver/portal/"
    # Not configured: left out rather than pointing somewhere untrue.
    assert "op_policy_uri" not in document and "op_tos_uri" not in document


def test_policy_and_terms_links_appear_once_configured(client, settings):
    settings.PORTAL_OP_POLICY_URL = "https://id.example.test/privacy"
    settings.PORTAL_OP_TOS_URL = "https://id.example.test/terms"
    document = client.get(DOCUMENTS[0]).json()
    assert document["op_policy_uri"] == "https://id.example.test/privacy"
    assert document["op_tos_uri"] == "https://id.example.test/terms"


def test_listed_registration_endpoint_exists(client):
    endpoint = client.get(DOCUMENTS[0]).json()["registration_endpoint"]
    response = client.post(endpoint.removeprefix("http://testserver"), "{}", "application/json")
    assert response.status_code == 401  # there, and closed without an initial access token


# --- response_mode=form_post -----------------------------------------------------------------


def test_form_post_answers_with_a_self_posting_form_not_a_redirect(client, signed_in, app):
    verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid", response_mode="form_post")
    page = signed_in.get(authorize_url(params))
    data = consent_form_data(page)
    assert read_forms(page.content).forms[0]["inputs"]["response_mode"] == "form_post"
    data.update(allow="true", response_mode="form_post")

    response = signed_in.post("/o/authorize/", data)

    assert response.status_code == 200  # never a query redirect
    assert "Location" not in response
    assert response["Cache-Control"] == "no-store"
    reader = read_forms(response.content)
    (form,) = reader.forms
    assert form["attrs"]["method"] == "post"
    assert form["attrs"]["action"] == "https://client.example.test/callback"
    assert form["buttons"] == 1  # works without JavaScript
    assert "csrfmiddlewaretoken" not in form["inputs"]  # our CSRF token never goes to a client
    assert form["inputs"]["state"] == "xyz-state"
    assert form["inputs"]["iss"] == "http://testserver/o"
    # The script comes from our origin: the CSP (script-src 'self') allows it, no inline code.
    assert all(script.get("src", "").startswith("/static/") for script in reader.scripts)
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "'self'"

    tokens = redeem(client, app, form["inputs"]["code"], verifier)
    assert tokens.status_code == 200


def test_form_post_with_stored_consent_and_errors_also_posts(client, signed_in, app):
    _verifier, challenge = pkce_pair()
    params = authorize_params(
        app, challenge=challenge, scope="openid", response_mode="form_post", prompt="none"
    )
    response = signed_in.get(authorize_url(params))  # nothing stored yet: consent_required
    assert response.status_code == 200
    (form,) = read_forms(response.content).forms
    assert form["inputs"]["error"] == "consent_required"
    assert form["inputs"]["state"] == "xyz-state"


def test_form_post_keeps_the_registered_uris_own_query(client, signed_in, app):
    app.redirect_uris = "https://client.example.test/callback?tenant=7"
    app.save()
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid", response_mode="form_post")
    data = consent_form_data(signed_in.get(authorize_url(params)))
    data.update(allow="true", response_mode="form_post")
    (form,) = read_forms(signed_in.post("/o/authorize/", data).content).forms
    assert form["attrs"]["action"] == "https://client.example.test/callback?tenant=7"
    assert "tenant" not in form["inputs"] and "code" in form["inputs"]


def test_query_mode_is_unchanged(client, signed_in, app):
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid", response_mode="query")
    data = consent_form_data(signed_in.get(authorize_url(params)))
    data["allow"] = "true"
    response = signed_in.post("/o/authorize/", data)
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"response_mode": "web_message"}, "invalid_request"),
        ({"response_mode": "query.jwt"}, "invalid_request"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "request_uri_not_supported"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ],
)
def test_unsupported_modes_and_request_objects_get_the_error_page(signed_in, app, extra, error):
    _verifier, challenge = pkce_pair()
    response = signed_in.get(authorize_url(authorize_params(app, challenge=challenge, **extra)))
    assert response.status_code == 400
    assert "Location" not in response
    assert error.encode() in response.content


def test_listed_prompt_values_work(signed_in, app):
    _verifier, challenge = pkce_pair()
    login = signed_in.get(authorize_url(authorize_params(app, challenge=challenge, prompt="login")))
    assert login.status_code == 302
    assert login["Location"].startswith("/accounts/login/")
    consent = signed_in.get(
        authorize_url(authorize_params(app, challenge=challenge, prompt="consent"))
    )
    assert consent.status_code == 200 and "form" in consent.context
    none = signed_in.get(authorize_url(authorize_params(app, challenge=challenge, prompt="none")))
    assert query_of(none["Location"])["error"] == "consent_required"
