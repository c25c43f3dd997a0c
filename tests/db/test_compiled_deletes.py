"""``compiled_deletes.delete_instance`` (oauth_portal/db/compiled_deletes.py) leaves the database
as ``obj.delete()`` does and sends the same signals, without the collector's reads; what it
cannot do exactly goes to the ORM."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_delete, pre_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from oauth_portal.db import compiled_deletes, compiled_writes
from oauth_portal.server.models import JwtAccessToken

pytestmark = pytest.mark.django_db
AccessToken, RefreshToken = get_access_token_model(), get_refresh_token_model()


def token_with_its_records(user, app, name: str):
    """An access token with its JWT record and the refresh token paired with it."""
    expires = timezone.now() + timedelta(hours=1)
    access = AccessToken.objects.create(
        user=user, application=app, token=f"at-{name}", scope="colors:read", expires=expires
    )
    jwt = JwtAccessToken.objects.create(access_token=access, jti=f"jti-{name}", expires=expires)
    refresh = RefreshToken.objects.create(
        user=user, application=app, token=f"rt-{name}", access_token=access,
        token_family=uuid.uuid4(),
    )  # fmt: skip
    return access, jwt, refresh


@pytest.fixture
def deletions_heard():
    """The deletion signals sent, each as (signal, model, the row's fields, the origin's model).

    Nobody listens to a JWT record's ``pre_delete`` (that would send it to the ORM)."""
    heard = []

    def hear(signal_name):
        def receiver(sender, instance, origin, **kwargs):
            fields = {"pk": instance.pk}
            if sender is JwtAccessToken:
                fields |= {"jti": instance.jti, "expires": instance.expires}
            heard.append((signal_name, sender.__name__, fields, type(origin).__name__))

        return receiver

    receivers = [
        (pre_delete, AccessToken, hear("pre_delete")),
        (post_delete, AccessToken, hear("post_delete")),
        (post_delete, JwtAccessToken, hear("post_delete")),
    ]
    for signal, model, receiver in receivers:
        signal.connect(receiver, sender=model, dispatch_uid=f"test-{id(receiver)}")
    yield heard
    for signal, model, receiver in receivers:
        signal.disconnect(sender=model, dispatch_uid=f"test-{id(receiver)}")


def test_deleting_a_token_does_what_delete_does_and_says_so_alike(user, app, deletions_heard):
    by_orm, by_orm_jwt, by_orm_refresh = token_with_its_records(user, app, "orm")
    compiled, compiled_jwt, compiled_refresh = token_with_its_records(user, app, "compiled")

    def labelled(heard, token_pk, jwt):
        """Each value named by what it is, so the two tokens' signals compare."""
        names = {
            "AccessToken": {"pk": {token_pk: "the token"}},
            "JwtAccessToken": {
                "pk": {jwt.pk: "its JWT record"},
                "jti": {jwt.jti: "its jti"},
                "expires": {jwt.expires: "its expiry"},
            },
        }
        return [
            (signal, sender,
             {key: names[sender][key].get(value, value) for key, value in fields.items()},
             origin)
            for signal, sender, fields, origin in heard
        ]  # fmt: skip

    orm_pk, compiled_pk = by_orm.pk, compiled.pk
    by_orm.delete()
    expected = labelled(deletions_heard, orm_pk, by_orm_jwt)
    deletions_heard.clear()
    compiled_deletes.delete_instance(compiled)

    assert labelled(deletions_heard, compiled_pk, compiled_jwt) == expected
    assert expected == [
        ("pre_delete", "AccessToken", {"pk": "the token"}, "AccessToken"),
        ("post_delete", "JwtAccessToken",
         {"pk": "its JWT record", "jti": "its jti", "expires": "its expiry"}, "AccessToken"),
        ("post_delete", "AccessToken", {"pk": "the token"}, "AccessToken"),
    ]  # fmt: skip
    assert compiled.pk is None and by_orm.pk is None
    assert not AccessToken.objects.exists()
    assert not JwtAccessToken.objects.exists()
    refreshed = RefreshToken.objects.filter(pk__in=[by_orm_refresh.pk, compiled_refresh.pk])
    assert list(refreshed.values_list("access_token", flat=True)) == [None, None]


def test_no_row_is_read_back_before_it_is_deleted(user, app):
    access, _, _ = token_with_its_records(user, app, "one")

    with CaptureQueriesContext(connection) as sent:
        compiled_deletes.delete_instance(access)

    sent_sql = " ".join(query["sql"] for query in sent.captured_queries)
    assert "SELECT" not in sent_sql  # the collector reads the JWT record first
    assert (sent_sql.count("DELETE FROM"), sent_sql.count("UPDATE")) == (2, 1)


def test_a_link_the_caller_clears_is_left_to_the_caller(user, app):
    access, _, refresh = token_with_its_records(user, app, "one")
    link = RefreshToken._meta.get_field("access_token")

    with CaptureQueriesContext(connection) as sent:
        compiled_deletes.delete_instance(access, cleared=(link,))
        RefreshToken.objects.filter(pk=refresh.pk).update(access_token=None)

    assert " ".join(query["sql"] for query in sent.captured_queries).count("UPDATE") == 1
    assert not AccessToken.objects.exists()


def test_someone_listening_before_a_cascaded_row_goes_gets_the_orms_delete(user, app):
    access, jwt, _ = token_with_its_records(user, app, "one")
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance.jti)

    pre_delete.connect(receiver, sender=JwtAccessToken, dispatch_uid="test-pre-jwt")
    try:
        compiled_deletes.delete_instance(access)
    finally:
        pre_delete.disconnect(sender=JwtAccessToken, dispatch_uid="test-pre-jwt")

    assert heard == [jwt.jti]
    assert not JwtAccessToken.objects.exists()


def test_a_held_delete_goes_with_the_batch_and_is_heard_when_sent(user, app, deletions_heard):
    access, _, refresh = token_with_its_records(user, app, "one")
    link = RefreshToken._meta.get_field("access_token")

    with compiled_writes.batched():
        compiled_deletes.delete_instance(access, cleared=(link,), hold=True)
        compiled_writes.update(RefreshToken, {"pk": refresh.pk}, access_token=None)
        assert AccessToken.objects.filter(token="at-one").exists()
        assert [signal for signal, *_ in deletions_heard] == ["pre_delete"]

    heard = [signal for signal, *_ in deletions_heard]
    assert heard == ["pre_delete", "post_delete", "post_delete"]
    assert access.pk is None
    assert not AccessToken.objects.exists()
    assert not JwtAccessToken.objects.exists()
    assert RefreshToken.objects.get().access_token is None
