"""The app page's recent events never name the app's users or the administrators: end users are
shown by a pseudonym stable within the app (and different in every other app), administrators as
"an administrator"; only the developer's own actions carry their name."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import clients
from tests.factories import UserFactory
from tests.oauth_helpers import authorize_params, authorize_url, consent_form_data, pkce_pair
from tests.portal.helpers import register

pytestmark = pytest.mark.django_db

PSEUDONYM = re.compile(r"User [0-9a-f]{6}")


@pytest.fixture
def erin(db):
    return UserFactory(username="erin.enduser", email="erin@mail.example.test")


@pytest.fixture
def frank(db):
    return UserFactory(username="frank.enduser", email="frank@mail.example.test")


@pytest.fixture
def administrator(db):
    return UserFactory(
        username="root.admin", email="root@ops.example.test", is_staff=True, is_superuser=True
    )


def deny_consent(user, app) -> None:
    """``user`` opens the app's consent page and presses Deny, as in a browser."""
    browser = Client()
    browser.force_login(user)
    _verifier, challenge = pkce_pair()
    page = browser.get(authorize_url(authorize_params(app, challenge=challenge, scope="openid")))
    assert page.status_code == 200, page.content[:300]
    assert browser.post("/o/authorize/", consent_form_data(page)).status_code == 302


def events_html(portal, app) -> str:
    response = portal.get(reverse("portal:application-detail", args=[app.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="events-title"') :]


def who_column(portal, app) -> list[str]:
    response = portal.get(reverse("portal:application-detail", args=[app.pk]))
    return [row["who"] for row in response.context["events"]]


def test_users_who_denied_consent_are_not_named(portal, web_app, erin, frank):
    app, _secret = web_app
    deny_consent(erin, app)
    deny_consent(frank, app)
    assert AuditEvent.objects.filter(type=AuditEvent.Type.CONSENT_DENIED).count() == 2

    html = events_html(portal, app)

    assert "Consent denied" in html
    for secret in ("erin", "frank", "mail.example.test"):
        assert secret not in html
    assert len(set(PSEUDONYM.findall(html))) == 2


def test_an_administrator_who_suspended_the_app_is_not_named(portal, web_app, administrator):
    app, _secret = web_app
    clients.application_suspend(application=app, actor=administrator, reason="Phishing reports")

    html = events_html(portal, app)

    assert "Client suspended" in html
    assert "an administrator" in html
    assert "root" not in html and "ops.example.test" not in html


def test_the_developers_own_actions_carry_their_name(portal, web_app):
    app, _secret = web_app

    assert who_column(portal, app)[-1] == "devon"  # "Client created", by the developer


def test_a_user_keeps_one_pseudonym_within_an_app_and_another_in_each_other_app(
    portal, developer, web_app, erin
):
    app, _secret = web_app
    other_app, _other_secret = register(developer, name="Second app")
    deny_consent(erin, app)
    deny_consent(erin, app)
    deny_consent(erin, other_app)

    in_app = set(who_column(portal, app)) - {"devon"}
    in_other_app = set(who_column(portal, other_app)) - {"devon"}

    assert len(in_app) == 1 and PSEUDONYM.fullmatch(next(iter(in_app)))
    assert len(in_other_app) == 1 and in_app != in_other_app
