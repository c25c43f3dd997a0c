"""Introspection reads the token once, from the database (oauth_portal/server/introspection.py):
the answer is DOT's, field for field, plus ``sub``, ``iss`` and the roles, and it never comes
from the token cache: a revoked token is inactive at once, a renamed user is named as now."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from tests.factories import UserFactory
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db

COLORS = "https://api.example.test/colors"


def introspect(client, app, token):
    response = client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_answer_is_dots_fields_and_ours_exactly(client, app):
    user = UserFactory(username="erin")
    token = mint_access_token(user=user, app=app, scope="openid profile colors:read")
    stored = get_access_token_model().objects.get(application=app)
    stored.resource = [COLORS]
    stored.save()

    assert introspect(client, app, token) == {
        "active": True,
        "scope": "openid profile colors:read",
        "exp": int(stored.expires.timestamp()),
        "client_id": app.client_id,
        "username": "erin",
        "aud": [COLORS],
        "iss": "http://testserver/o",
        "sub": str(user.pk),
        "permissions": [],
        "roles": [],
    }


def test_a_token_the_api_just_accepted_is_inactive_once_revoked(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert api_get(client, token).status_code == 200  # now in the token cache

    revoked = client.post(
        "/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )

    assert revoked.status_code == 200
    assert introspect(client, app, token) == {"active": False}
    assert api_get(client, token).status_code == 401


def test_a_renamed_user_is_named_as_now_though_the_token_is_cached(client, app):
    user = UserFactory(username="erin")
    token = mint_access_token(user=user, app=app, scope="openid profile colors:read")
    assert api_get(client, token).status_code == 200  # now in the token cache
    assert introspect(client, app, token)["username"] == "erin"

    user.username = "erin.new"
    user.save()

    assert introspect(client, app, token)["username"] == "erin.new"


def test_an_expired_token_is_inactive(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    get_access_token_model().objects.filter(application=app).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    assert introspect(client, app, token) == {"active": False}


@pytest.mark.parametrize("token", ["", "x" * 5000, "not-a-token\u00e9"])
def test_unknown_or_odd_tokens_are_inactive(client, app, token):
    assert introspect(client, app, token) == {"active": False}


def test_no_token_parameter_is_still_dots_invalid_request(client, app):
    response = client.post("/o/introspect/", {}, HTTP_AUTHORIZATION=basic_auth(app.client_id))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_token_of_a_user_switched_off_behind_the_apps_back_is_inactive(client, app):
    """A bulk ``update()`` deactivates without revoking: the bearer check refuses the token that
    survived, and introspection must not tell a resource server it is active."""
    user = UserFactory(username="gale")
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert introspect(client, app, token)["active"] is True

    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert introspect(client, app, token) == {"active": False}
    assert api_get(client, token).status_code == 401
