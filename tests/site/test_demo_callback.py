"""The demo callback page shows an authorization code: it must not be cached or leak it."""

import pytest


@pytest.mark.django_db
def test_demo_callback_showing_a_code_is_neither_cached_nor_leaked_in_referer(client):
    """The demo callback page prints the authorization code: a shared cache must not keep it,
    and a link followed from the page must not carry the code in its Referer."""
    response = client.get("/demo/callback", {"code": "c0de-from-the-query", "state": "s"})

    assert response.status_code == 200
    assert b"c0de-from-the-query" in response.content
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
