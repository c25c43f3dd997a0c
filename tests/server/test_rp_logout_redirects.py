"""RP-initiated logout follows a ``post_logout_redirect_uri`` only for an app proven by a verified
``id_token_hint`` and still active. A bare ``client_id`` proves nothing (anyone can copy one), so
it never turns /o/logout/ into a redirector, and a suspended app's address is never followed."""

import pytest
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import Application
from tests.server.logout_helpers import RETURN_URI, confirm, is_signed_in, logout_url

pytestmark = pytest.mark.django_db


def assert_signed_out_page(response):
    assert response.status_code == 200
    assert "Location" not in response
    assert b"You are signed out" in response.content


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_signed_out_visitor_with_only_a_client_id_is_not_redirected(client, logout_app, method):
    params = {"client_id": logout_app.client_id, "post_logout_redirect_uri": RETURN_URI}
    if method == "GET":
        response = client.get(logout_url(**params))
    else:
        response = client.post("/o/logout/", params | {"allow": "true"})

    assert_signed_out_page(response)


def test_a_signed_in_user_with_only_a_client_id_is_asked_then_not_redirected(signed_in, logout_app):
    page = signed_in.get(
        logout_url(client_id=logout_app.client_id, post_logout_redirect_uri=RETURN_URI)
    )
    assert page.status_code == 200
    assert not page.context["form"]["post_logout_redirect_uri"].value()
    # The unproven client is not named on the page either.
    assert logout_app.name.encode() not in page.content

    response = confirm(signed_in, page)

    assert_signed_out_page(response)
    assert not is_signed_in(signed_in)
    event = AuditEvent.objects.get(type=AuditEvent.Type.SIGNED_OUT)
    assert event.application is None


def test_a_signed_out_visitor_with_a_verified_hint_is_returned_to_the_app(id_token, logout_app):
    visitor = Client()

    response = visitor.get(
        logout_url(id_token_hint=id_token, post_logout_redirect_uri=RETURN_URI, state="s1")
    )

    assert response.status_code == 302
    assert response["Location"] == RETURN_URI + "?state=s1"


def test_a_suspended_apps_registered_uri_is_never_followed(signed_in, id_token, logout_app):
    logout_app.status = Application.Status.SUSPENDED
    logout_app.save(update_fields=["status"])
    url = logout_url(id_token_hint=id_token, post_logout_redirect_uri=RETURN_URI)

    response = confirm(signed_in, signed_in.get(url))

    assert_signed_out_page(response)
    assert not is_signed_in(signed_in)
    # Now signed out, the visitor comes back with the same hint: still not sent there.
    assert_signed_out_page(signed_in.get(url))


def test_an_active_app_with_a_verified_hint_still_returns_with_state(
    signed_in, id_token, logout_app
):
    page = signed_in.get(
        logout_url(id_token_hint=id_token, post_logout_redirect_uri=RETURN_URI, state="bye")
    )

    response = confirm(signed_in, page)

    assert response.status_code == 302
    assert response["Location"] == RETURN_URI + "?state=bye"
    assert not is_signed_in(signed_in)
