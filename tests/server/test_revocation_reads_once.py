"""RFC 7009 revocation reads an access token and its owner once and revokes that very row on
DOT's path (oauth_portal/server/revocation.py): the rules stay DOT's, the audit event names the
owner, and a refresh token or another client's token goes through DOT's own lookup."""

import pytest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauth_portal.audit.models import AuditEvent
from tests.factories import ApplicationFactory
from tests.oauth_helpers import basic_auth, get_code, mint_access_token, redeem

pytestmark = pytest.mark.django_db


def revoke(client, app, token, hint=None):
    data = {"token": token, **({"token_type_hint": hint} if hint else {})}
    response = client.post("/o/revoke_token/", data, HTTP_AUTHORIZATION=basic_auth(app.client_id))
    assert response.status_code == 200
    return response


def api_get(client, token):
    return client.get("/api/colors/", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_revoking_an_access_token_takes_its_refresh_token_and_names_the_owner(
    signed_in, app, user, hint
):
    code, verifier = get_code(signed_in, app, scope="colors:read")
    tokens = redeem(signed_in, app, code, verifier).json()
    assert api_get(signed_in, tokens["access_token"]).status_code == 200  # cached as live

    revoke(signed_in, app, tokens["access_token"], hint)

    assert api_get(signed_in, tokens["access_token"]).status_code == 401
    assert not get_access_token_model().objects.filter(application=app).exists()
    assert get_refresh_token_model().objects.get(application=app).revoked is not None
    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKEN_REVOKED)
    assert (event.user, event.application) == (user, app)


def test_revoking_a_refresh_token_names_its_owner_too(signed_in, app, user):
    code, verifier = get_code(signed_in, app, scope="colors:read")
    tokens = redeem(signed_in, app, code, verifier).json()

    revoke(signed_in, app, tokens["refresh_token"])

    assert api_get(signed_in, tokens["access_token"]).status_code == 401
    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKEN_REVOKED)
    assert (event.user, event.application) == (user, app)


def test_another_clients_token_is_left_alone(client, user, app):
    stranger = ApplicationFactory(name="Someone else's app")
    token = mint_access_token(user=user, app=app, scope="colors:read")

    revoke(client, stranger, token)

    assert api_get(client, token).status_code == 200
    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKEN_REVOKED)
    assert (event.user, event.application) == (None, stranger)


def test_an_unknown_token_answers_200_and_is_recorded_without_an_owner(client, app):
    revoke(client, app, "not-a-token")

    event = AuditEvent.objects.get(type=AuditEvent.Type.TOKEN_REVOKED)
    assert (event.user, event.application) == (None, app)
