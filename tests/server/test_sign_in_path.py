"""The hostile-input guard knows the sign-in page by ``LOGIN_URL``, resolved once per URLconf
and script prefix (oauth_portal/server/middleware.py), and follows a changed setting."""

from django.test import override_settings
from django.urls import reverse, set_script_prefix

from oauth_portal.server.middleware import sign_in_path


def test_the_sign_in_path_is_login_url_resolved():
    assert sign_in_path() == reverse("accounts:login")


def test_a_changed_login_url_is_followed_at_once():
    before = sign_in_path()
    with override_settings(LOGIN_URL="/elsewhere/sign-in/"):
        assert sign_in_path() == "/elsewhere/sign-in/"
    assert sign_in_path() == before


def test_the_script_prefix_is_part_of_the_answer():
    try:
        set_script_prefix("/portal/")
        prefixed = sign_in_path()
    finally:
        set_script_prefix("/")
    assert prefixed == "/portal" + sign_in_path()
