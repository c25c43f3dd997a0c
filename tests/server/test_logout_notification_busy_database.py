"""A logout notification's try survives a database that is briefly busy (SQLite's "table is
locked" while another thread writes): its claim and its outcome are written once it is free,
so a POST already made is never lost nor made twice."""

import pytest
from django.db import OperationalError
from jwcrypto import jwk, jwt

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import logout_notifications
from oauth_portal.server.models import LogoutNotification

pytestmark = pytest.mark.django_db


def busy_once(monkeypatch, name):
    real, calls = getattr(logout_notifications, name), []

    def flaky(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("database table is locked")
        return real(*args)

    monkeypatch.setattr(logout_notifications, name, flaky)
    monkeypatch.setattr(logout_notifications, "BUSY_DATABASE_PAUSES_SECONDS", (0, 0, 0))
    return calls


@pytest.mark.parametrize("busy", ["_claim", "_record_outcome"])
def test_a_busy_database_delays_a_try_but_loses_nothing(client, app, user, monkeypatch, busy):
    app.backchannel_logout_uri = "https://rp.example.test/backchannel"
    app.save()
    posted = []
    monkeypatch.setattr(
        logout_notifications, "post_logout_token", lambda uri, token: posted.append(token)
    )
    calls = busy_once(monkeypatch, busy)
    [pk] = logout_notifications.notifications_enqueue(
        applications=[app], issuer="https://testserver/o", subject=str(user.pk), sid="s-1"
    )

    assert logout_notifications.notifications_send(ids=[pk]) == (1, 0)

    notification = LogoutNotification.objects.get(pk=pk)
    assert notification.status == LogoutNotification.Status.DELIVERED
    assert notification.attempts == 1
    assert len(calls) == 2 and len(posted) == 1
    assert (
        AuditEvent.objects.filter(type=AuditEvent.Type.LOGOUT_NOTIFICATION_DELIVERED).count() == 1
    )
    # The token it sent is signed with the published key and typed as a logout token.
    keys = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    verified = jwt.JWT(jwt=posted[0], key=keys, algs=["RS256"])
    assert verified.token.jose_header["typ"] == "logout+jwt"
    assert verified.token.jose_header["kid"] in {key["kid"] for key in keys["keys"]}


def test_a_client_deleted_while_its_notification_is_posted_leaves_nothing_to_record(
    app, user, monkeypatch
):
    """The POST goes out, then the app (and with it the notification) is gone: the background
    sender must not fail on the missing row, nor audit an outcome for an app that no longer
    exists."""
    app.backchannel_logout_uri = "https://rp.example.test/backchannel"
    app.save()

    def delivered_then_deleted(uri, token):
        app.delete()
        return None  # no problem: delivered

    monkeypatch.setattr(logout_notifications, "post_logout_token", delivered_then_deleted)
    [pk] = logout_notifications.notifications_enqueue(
        applications=[app], issuer="https://testserver/o", subject=str(user.pk), sid="s-1"
    )

    assert logout_notifications.notifications_send(ids=[pk]) == (1, 0)

    assert not LogoutNotification.objects.filter(pk=pk).exists()
    assert not AuditEvent.objects.filter(
        type__in=[
            AuditEvent.Type.LOGOUT_NOTIFICATION_DELIVERED,
            AuditEvent.Type.LOGOUT_NOTIFICATION_FAILED,
        ]
    ).exists()
