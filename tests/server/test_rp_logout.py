"""OpenID Connect RP-Initiated Logout 1.0 at /o/logout/: the hint and the return address are
checked against the app's registration before anyone is signed out or sent anywhere."""

import pytest

from oauth_portal.audit.models import AuditEvent
from tests.factories import ApplicationFactory
from tests.oauth_helpers import get_code, query_of, redeem
from tests.server.logout_helpers import RETURN_URI, confirm, is_signed_in, logout_url

pytestmark = pytest.mark.django_db


def test_logout_with_hint_returns_to_the_registered_uri_with_state(signed_in, id_token, logout_app):
    page = signed_in.get(
        logout_url(id_token_hint=id_token, post_logout_redirect_uri=RETURN_URI, state="bye")
    )
    assert page.status_code == 200
    assert b"Sign out" in page.content

    response = confirm(signed_in, page)

    assert response.status_code == 302
    assert response["Location"].startswith(RETURN_URI + "?")
    assert query_of(response["Location"]) == {"state": "bye"}
    assert not is_signed_in(signed_in)
    event = AuditEvent.objects.get(type=AuditEvent.Type.SIGNED_OUT)
    assert event.application == logout_app
    assert event.details["initiated_by"] == "relying_party"


def test_unregistered_return_uri_is_refused_and_nobody_is_signed_out(signed_in, id_token):
    response = signed_in.get(
        logout_url(id_token_hint=id_token, post_logout_redirect_uri="https://evil.example.test/")
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert is_signed_in(signed_in)


def test_forged_id_token_hint_is_refused(signed_in, logout_app):
    response = signed_in.get(
        logout_url(id_token_hint="eyJhbGciOiJub25lIn0.e30.", post_logout_redirect_uri=RETURN_URI)
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert is_signed_in(signed_in)


def test_logout_without_return_uri_shows_the_signed_out_page(signed_in, id_token):
    page = signed_in.get(logout_url(id_token_hint=id_token))
    response = confirm(signed_in, page)
    assert response.status_code == 200
    assert b"You are signed out" in response.content
    assert not is_signed_in(signed_in)


def test_staying_signed_in_keeps_the_session(signed_in, id_token):
    page = signed_in.get(logout_url(id_token_hint=id_token, post_logout_redirect_uri=RETURN_URI))
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "allow"}
    response = signed_in.post("/o/logout/", data)
    assert "Location" not in response or not response["Location"].startswith(RETURN_URI)
    assert is_signed_in(signed_in)


def test_logout_does_not_revoke_other_apps_tokens(signed_in, id_token, user):
    # With offline_access: tokens without it end with the sign-in (test_offline_access.py).
    other = ApplicationFactory()
    code, verifier = get_code(signed_in, other, scope="openid colors:read offline_access")
    other_token = redeem(signed_in, other, code, verifier).json()["access_token"]
    confirm(signed_in, signed_in.get(logout_url(id_token_hint=id_token)))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {other_token}"}
    assert signed_in.get("/api/colors/", **bearer).status_code == 200
