"""Removing an app's access, or one permission, on Connected apps asks first, on a page that
works without JavaScript; only its button (a POST) removes anything."""

import pytest

from oauth_portal.server import consents
from oauth_portal.server.models import Consent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(user, app):
    consents.consent_grant(
        user=user, application=app, scopes=["openid", "colors:read"], resource=[]
    )
    return app


def test_the_list_links_to_a_confirmation_instead_of_removing(signed_in, connected):
    html = signed_in.get("/accounts/apps/").content.decode()

    assert f'href="/accounts/apps/{connected.pk}/revoke/confirm/"' in html
    scope_confirm = f"/accounts/apps/{connected.pk}/scopes/remove/confirm/?scope=colors%3Aread"
    assert f'href="{scope_confirm}"' in html
    assert f'action="/accounts/apps/{connected.pk}/revoke/"' not in html


def test_the_confirmation_page_explains_and_posts_the_removal(signed_in, user, connected):
    page = signed_in.get(f"/accounts/apps/{connected.pk}/revoke/confirm/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f"Remove access for {connected.name}?" in html
    assert f'action="/accounts/apps/{connected.pk}/revoke/"' in html
    assert Consent.objects.filter(user=user).exists()  # looking changes nothing

    signed_in.post(f"/accounts/apps/{connected.pk}/revoke/")
    assert not Consent.objects.filter(user=user).exists()


def test_removing_one_permission_is_confirmed_in_the_users_words(signed_in, user, connected):
    page = signed_in.get(
        f"/accounts/apps/{connected.pk}/scopes/remove/confirm/", {"scope": "colors:read"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert f"Remove “See your saved colors” from {connected.name}?" in html
    assert 'name="scope" value="colors:read"' in html
    assert Consent.objects.get(user=user).scopes == {"openid", "colors:read"}


def test_confirming_a_permission_the_app_does_not_hold_is_a_404(signed_in, connected):
    response = signed_in.get(
        f"/accounts/apps/{connected.pk}/scopes/remove/confirm/", {"scope": "colors:write"}
    )
    assert response.status_code == 404


def test_another_users_app_has_no_confirmation_page(client, connected):
    client.force_login(UserFactory(username="mallory"))

    assert client.get(f"/accounts/apps/{connected.pk}/revoke/confirm/").status_code == 404
    assert (
        client.get(
            f"/accounts/apps/{connected.pk}/scopes/remove/confirm/", {"scope": "openid"}
        ).status_code
        == 404
    )


def test_confirmation_pages_need_a_sign_in(client, connected):
    response = client.get(f"/accounts/apps/{connected.pk}/revoke/confirm/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("scope", ["\x00", "é" * 50_000, ""])
def test_a_hostile_scope_on_the_confirmation_page_is_a_4xx(signed_in, connected, scope):
    response = signed_in.get(
        f"/accounts/apps/{connected.pk}/scopes/remove/confirm/", {"scope": scope}
    )
    assert 400 <= response.status_code < 500


def test_a_huge_app_id_on_the_confirmation_page_is_a_404(signed_in):
    assert signed_in.get(f"/accounts/apps/{'9' * 30}/revoke/confirm/").status_code == 404
