"""A suspended app, as its users meet it: a plain-words page when it sends them to sign in, and
a "Suspended" mark on their Connected apps page."""

import pytest

from oauth_portal.server import consents
from oauth_portal.server.models import Application
from tests.oauth_helpers import authorize_params, authorize_url, pkce_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended_app(app):
    app.name = "Palette Pal"
    app.status = Application.Status.SUSPENDED
    app.save()
    return app


def test_a_user_sent_by_a_suspended_app_reads_that_it_is_suspended(client, user, suspended_app):
    _verifier, challenge = pkce_pair()
    url = authorize_url(authorize_params(suspended_app, challenge=challenge))

    signed_in = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct-horse-battery", "next": url},
        follow=True,
    )

    html = signed_in.content.decode()
    assert signed_in.status_code == 403
    assert '<span class="app-name">Palette Pal</span> is suspended' in html
    assert "An administrator has suspended this app" in html
    assert "Nothing is wrong with your account" in html
    assert "made a request we can&#x27;t accept" not in html


def test_connected_apps_marks_a_suspended_app(signed_in, user, suspended_app, public_app):
    consents.consent_grant(user=user, application=suspended_app, scopes=["openid"], resource=[])
    consents.consent_grant(user=user, application=public_app, scopes=["openid"], resource=[])

    html = signed_in.get("/accounts/apps/").content.decode()

    assert 'Palette Pal <span class="badge badge-danger">Suspended</span>' in html
    assert html.count("badge-danger") == 1  # the active app is not marked
    assert "it can't sign you in or use your account until it is reactivated" in html
