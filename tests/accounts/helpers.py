"""What the account tests do again and again: sign up, follow a mailed link, try a password."""

import re
from urllib.parse import urlsplit

from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

NEW_PASSWORD = "Tr1cky-Lantern-Mosaic"
OTHER_PASSWORD = "Quiet-Harbour-Spindle-42"


def sign_up(client, *, next_url: str | None = None, **overrides):
    data = {
        "username": "bob",
        "email": "bob@example.test",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/signup/", data)


def mailed_paths(message) -> list[str]:
    """The paths of the links to this site in the text and HTML bodies of ``message``."""
    bodies = [message.body] + [content for content, _mime in message.alternatives]
    urls = re.findall(r"http://testserver/[^\s\"<]+", "\n".join(bodies))
    return [urlsplit(url).path for url in urls]


def mailed_path(message) -> str:
    """The one link ``message`` carries (the HTML part may repeat it, never differ)."""
    paths = set(mailed_paths(message))
    assert len(paths) == 1, paths
    return paths.pop()


def only_mail():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def can_sign_in(username: str, password: str) -> bool:
    """Whether the sign-in page, in a fresh browser, accepts this username and password."""
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def link_for(user, token: str) -> str:
    return f"/accounts/verify-email/{urlsafe_base64_encode(force_bytes(user.pk))}/{token}/"
