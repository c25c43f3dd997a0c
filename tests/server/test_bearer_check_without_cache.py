"""With the token cache off (the database cache, SQLite or no Redis), every bearer check reads the
token in one compiled query (oauth_portal/server/bearer.py): revocation, an inactive user and a
suspended app are refused at once, and a check costs one query."""

import pytest
from oauth2_provider.models import get_access_token_model

from oauth_portal.db import compiled_queries
from tests.oauth_helpers import basic_auth, mint_access_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cache_off(settings):
    settings.PORTAL_BEARER_CACHE_SECONDS = 0
    compiled_queries.forget()


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


def refused(response) -> bool:
    """RFC 6750 §3.1: 401 with ``invalid_token`` in the challenge, not just any 401."""
    challenge = response.get("WWW-Authenticate", "")
    return response.status_code == 401 and 'error="invalid_token"' in challenge


def test_each_check_is_one_query(client, user, app, django_assert_num_queries):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert api_get(client, token).status_code == 200  # compiles, warms the registry

    with django_assert_num_queries(2):  # the token with its app and user, then the colors
        assert api_get(client, token).status_code == 200


def test_a_revoked_token_is_refused_at_once(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert api_get(client, token).status_code == 200

    client.post("/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id))

    assert refused(api_get(client, token))


def test_an_inactive_user_and_a_suspended_app_are_refused(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert api_get(client, token).status_code == 200

    type(user).objects.filter(pk=user.pk).update(is_active=False)  # no signal: the row says so
    assert refused(api_get(client, token))

    type(user).objects.filter(pk=user.pk).update(is_active=True)
    type(app).objects.filter(pk=app.pk).update(status=type(app).Status.SUSPENDED)
    assert refused(api_get(client, token))


def test_an_unknown_token_is_refused(client):
    assert refused(api_get(client, "no-such-token"))
    assert not get_access_token_model().objects.exists()
