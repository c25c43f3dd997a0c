"""The cheap bearer check (oauth_portal/server/bearer.py): a token validated once is served from the
token cache, and every way a token dies still takes effect on the very next request.

The test settings cache tokens as production does with Redis (a per-process cache stands in);
tests/concurrency/test_many_processes.py runs the same against real Redis and two servers.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time
from oauth2_provider.models import get_access_token_model, set_token_value

from oauth_portal.server import clients, consents, tokens
from oauth_portal.server.models import ApiResource, Scope
from tests.oauth_helpers import basic_auth, get_code, mint_access_token, redeem, token_request

pytestmark = pytest.mark.django_db


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def warm_token(client, user, app):
    """A token the API has already accepted once (so it sits in the token cache)."""
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert api_get(client, token).status_code == 200
    return token


def test_a_validated_token_needs_no_query_on_the_next_request(
    client, warm_token, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the colors themselves
        assert api_get(client, warm_token).status_code == 200


def test_a_new_token_costs_one_query_to_check(client, user, app, django_assert_num_queries):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    api_get(client, mint_access_token(user=user, app=app, scope="colors:read"))  # warm registry

    with django_assert_num_queries(2):  # the token with its app and user, then the colors
        assert api_get(client, token).status_code == 200


def test_the_check_costs_the_same_however_many_apis_and_scopes_exist(
    client, user, app, django_assert_num_queries
):
    for n in range(30):
        api = ApiResource.objects.create(
            name=f"API {n}", identifier=f"https://api.example.test/{n}", base_path=f"/api/x{n}/"
        )
        Scope.objects.create(name=f"x{n}:read", description="Things", api=api)
    token = mint_access_token(user=user, app=app, scope="colors:read")
    api_get(client, mint_access_token(user=user, app=app, scope="colors:read"))  # warm registry

    with django_assert_num_queries(2):
        assert api_get(client, token).status_code == 200


def revoke_at_the_endpoint(client, user, app, token):
    response = client.post(
        "/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(app.client_id)
    )
    assert response.status_code == 200


def withdraw_consent(client, user, app, token):
    consents.consent_revoke(user=user, application=app)


def suspend_the_app(client, user, app, token):
    clients.application_suspend(application=app, actor=None, reason="abuse")


def revoke_all_tokens_of_the_app(client, user, app, token):
    tokens.tokens_revoke(application=app)


def delete_the_user(client, user, app, token):
    user.delete()


@pytest.mark.parametrize(
    "kill",
    [
        revoke_at_the_endpoint,
        withdraw_consent,
        suspend_the_app,
        revoke_all_tokens_of_the_app,
        delete_the_user,
    ],
)
def test_a_cached_token_is_refused_on_the_next_request_once_it_dies(
    client, user, app, warm_token, kill
):
    kill(client, user, app, warm_token)

    response = api_get(client, warm_token)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_refreshing_retires_the_cached_access_token(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="colors:read")
    first = redeem(signed_in, app, code, verifier).json()
    assert api_get(signed_in, first["access_token"]).status_code == 200

    second = token_request(
        signed_in, app, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    ).json()

    assert api_get(signed_in, first["access_token"]).status_code == 401
    assert api_get(signed_in, second["access_token"]).status_code == 200


def test_a_reader_that_saw_the_row_before_revocation_cannot_bring_it_back(
    client, user, app, warm_token
):
    """The race the tombstone closes: a request read the row just before the revocation
    committed. Put the row back as that request saw it: the revocation still wins."""
    revoke_at_the_endpoint(client, user, app, warm_token)
    stale = get_access_token_model()(
        user=user, application=app, scope="colors:read", expires=timezone.now() + timedelta(hours=1)
    )
    set_token_value(stale, warm_token)
    stale.save()

    assert api_get(client, warm_token).status_code == 401


def test_a_cached_token_still_expires_on_time(client, warm_token):
    with freeze_time(timezone.now() + timedelta(seconds=3601)):
        response = api_get(client, warm_token)

    assert response.status_code == 401
    assert "expired" in response.json()["error_description"]


def test_the_cache_holds_no_secret(client, warm_token, settings):
    from django.core.cache import caches

    from oauth_portal.server.bearer import token_checksum

    entry = caches[settings.PORTAL_TOKEN_CACHE].get(f"bearer:{token_checksum(warm_token)}")

    assert entry is not None
    assert warm_token not in repr(entry)
    assert "client_secret" not in repr(entry) and "password" not in repr(entry)
