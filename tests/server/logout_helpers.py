"""Helpers the RP-initiated logout tests share."""

from urllib.parse import urlencode

RETURN_URI = "https://client.example.test/logged-out"


def logout_url(**params) -> str:
    return "/o/logout/?" + urlencode(params)


def is_signed_in(client) -> bool:
    return client.get("/accounts/").status_code == 200


def confirm(client, page):
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "allow"}
    return client.post("/o/logout/", data | {"allow": "true"})
