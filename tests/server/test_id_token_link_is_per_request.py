"""The access token is linked to the ID token signed for *its* request.

DOT shares one validator instance across threads, so the ID token just signed (and its row)
travels on the oauthlib request, never on the validator (validator_token_rows.py).
"""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request

from oauth_portal.db import compiled_writes
from oauth_portal.server import issued_tokens
from oauth_portal.server.oauth2_validators import PortalOAuth2Validator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reverified(monkeypatch):
    """Records every ID token DOT verifies again instead of taking the row at hand."""
    seen = []

    def load(validator, token):
        seen.append(token)

    monkeypatch.setattr(OAuth2Validator, "_load_id_token", load)
    return seen


def token_request(app, user) -> Request:
    request = Request(
        "https://testserver/o/token/", http_method="POST", headers={"HTTP_HOST": "testserver"}
    )
    request.client, request.user, request.scopes = app, user, ["openid"]
    return request


def sign(validator, request) -> dict:
    signed = validator.finalize_id_token({}, {}, None, request)
    return {"id_token": signed, "scope": "openid", "access_token": f"at-{signed[-12:]}"}


def store(validator, request, token):
    expires = timezone.now() + timedelta(hours=1)
    return validator._create_access_token(expires, request, token)


def test_interleaved_requests_each_link_their_own_id_token(app, user, reverified):
    validator = PortalOAuth2Validator()
    first, second = token_request(app, user), token_request(app, UserFactory())

    first_token = sign(validator, first)
    second_token = sign(validator, second)  # signed before the first stores its access token

    assert store(validator, first, first_token).id_token == first.id_token
    assert store(validator, second, second_token).id_token == second.id_token
    assert reverified == []


def test_two_threads_signing_at_once_each_link_their_own(app, user, reverified, monkeypatch):
    validator = PortalOAuth2Validator()
    requests = [token_request(app, user), token_request(app, UserFactory())]
    tokens = [sign(validator, request) for request in requests]
    both_inside = threading.Barrier(2)

    def insert(access_token, **options):  # each writes once both are inside, no database
        both_inside.wait(timeout=5)

    monkeypatch.setattr(compiled_writes, "insert", insert)
    monkeypatch.setattr(issued_tokens, "access_token_issued", lambda access_token: None)
    linked = {}

    def link(n):
        linked[n] = store(validator, requests[n], tokens[n]).id_token

    threads = [threading.Thread(target=link, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert linked == {0: requests[0].id_token, 1: requests[1].id_token}
    assert reverified == []


def test_the_validator_keeps_no_request_s_id_token_after_use(app, user, reverified):
    validator = PortalOAuth2Validator()
    request = token_request(app, user)
    token = sign(validator, request)
    store(validator, request, token)

    # Another request presenting the same token (an id_token_hint) is verified by DOT afresh.
    assert validator._load_id_token(token["id_token"]) is None
    assert reverified == [token["id_token"]]
    assert vars(validator) == {}
