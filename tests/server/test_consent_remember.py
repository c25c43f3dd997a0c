"""The consent page's "Remember my choice" (WSO2's Approve Always / Approve Once), and the
page's words when ``prompt=consent`` asks again for nothing new."""

import pytest

from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    consent_form_data,
    pkce_pair,
    query_of,
)

pytestmark = pytest.mark.django_db

SCOPE = "openid colors:read"
TICKED = ["0", "1"]  # what a browser sends: the hidden 0, then the ticked box's 1
UNTICKED = ["0"]


def open_page(client, app, scope=SCOPE, **params):
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope=scope, **params)
    return client.get(authorize_url(params))


def approve(client, app, *, remember, scope=SCOPE, **params):
    page = open_page(client, app, scope=scope, **params)
    assert page.status_code == 200, page.content[:300]
    response = client.post(
        "/o/authorize/", consent_form_data(page) | {"allow": "true", "remember": remember}
    )
    assert response.status_code == 302
    assert "code" in query_of(response["Location"])
    return response


def test_the_page_offers_remember_my_choice_ticked(signed_in, app):
    html = open_page(signed_in, app).content.decode()

    assert 'name="remember" value="1" checked' in html
    assert "Remember my choice" in html
    assert 'name="allow"' in html


def test_a_remembered_choice_skips_the_page_next_time(signed_in, app):
    approve(signed_in, app, remember=TICKED)

    again = open_page(signed_in, app, state="again")

    assert again.status_code == 302
    assert "code" in query_of(again["Location"])


def test_approve_once_asks_again_next_time_with_the_whole_list(signed_in, app):
    approve(signed_in, app, remember=UNTICKED)

    again = open_page(signed_in, app, state="again")

    assert again.status_code == 200
    html = again.content.decode()
    assert "You already allowed" not in html
    assert "See your saved colors" in html


def test_approve_once_clears_an_earlier_remembered_choice(signed_in, app):
    approve(signed_in, app, remember=TICKED)
    approve(signed_in, app, remember=UNTICKED, prompt="consent")

    assert open_page(signed_in, app, state="third").status_code == 200


def test_an_app_approved_once_is_listed_on_connected_apps_and_can_be_removed(signed_in, app):
    approve(signed_in, app, remember=UNTICKED)

    page = signed_in.get("/accounts/apps/")

    listed = f'<h2 id="app-{app.pk}">{app.name}'
    assert listed in page.content.decode()
    assert signed_in.post(f"/accounts/apps/{app.pk}/revoke/").status_code == 302
    assert listed not in signed_in.get("/accounts/apps/").content.decode()


def test_a_form_that_never_offered_the_choice_is_remembered(signed_in, app):
    approve(signed_in, app, remember=[])

    assert open_page(signed_in, app, state="again").status_code == 302


def test_prompt_consent_with_nothing_new_lists_everything_in_the_right_words(signed_in, app):
    approve(signed_in, app, remember=TICKED)

    page = open_page(signed_in, app, prompt="consent")

    html = page.content.decode()
    assert page.status_code == 200
    assert "It now also asks to" not in html
    assert "asks you to confirm" in html
    assert "See your saved colors" in html
    assert "Sign you in and know who you are" in html
    response = signed_in.post(
        "/o/authorize/", consent_form_data(page) | {"allow": "true", "remember": TICKED}
    )
    assert "code" in query_of(response["Location"])


def test_the_admin_consent_list_shows_what_is_remembered(admin_client, signed_in, app):
    approve(signed_in, app, remember=UNTICKED)

    html = admin_client.get("/admin/portal_server/consent/").content.decode()

    assert "nothing (asks every time)" in html
