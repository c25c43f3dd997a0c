"""RFC 6749 §5.2: a code redeemed with another redirect URI than the one it was issued for is
``invalid_grant`` (the grant does not match), not ``invalid_request`` (the request is fine)."""

import pytest
from oauth2_provider.models import get_access_token_model

from tests.factories import ApplicationFactory
from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_uri_app(db):
    return ApplicationFactory(
        redirect_uris="https://client.example.test/callback https://client.example.test/other"
    )


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://client.example.test/other", "https://attacker.example.test/callback"],
    ids=["another-registered-uri", "an-unregistered-uri"],
)
def test_a_code_redeemed_with_another_redirect_uri_is_invalid_grant(
    signed_in, two_uri_app, redirect_uri
):
    code, verifier = get_code(signed_in, two_uri_app)

    response = redeem(signed_in, two_uri_app, code, verifier, redirect_uri=redirect_uri)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "redirect" in response.json()["error_description"].lower()
    assert get_access_token_model().objects.count() == 0


def test_the_code_still_works_with_its_own_redirect_uri(signed_in, two_uri_app):
    code, verifier = get_code(signed_in, two_uri_app)

    response = redeem(signed_in, two_uri_app, code, verifier)

    assert response.status_code == 200
