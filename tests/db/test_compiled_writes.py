"""Writes compiled once per process (oauth_portal/db/compiled_writes.py) store exactly what the
ORM would, send the signals it would, and, held back in a batch, reach the database together at
the end of the block or not at all."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.db.models.signals import post_delete, post_save, pre_save
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_grant_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.db import compiled_writes
from oauth_portal.server.models import Consent, GrantSignIn, RedeemedCode
from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals_seen():
    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre_save", instance.pk, kwargs["raw"]))

    def post(sender, instance, created, **kwargs):
        seen.append(("post_save", instance.pk, created))

    pre_save.connect(pre, sender=AuditEvent, dispatch_uid="test-pre")
    post_save.connect(post, sender=AuditEvent, dispatch_uid="test-post")
    yield seen
    pre_save.disconnect(sender=AuditEvent, dispatch_uid="test-pre")
    post_save.disconnect(sender=AuditEvent, dispatch_uid="test-post")


def event(user, app, **overrides):
    fields = {
        "type": AuditEvent.Type.TOKEN_ISSUED,
        "user": user,
        "application": app,
        "ip_address": "192.0.2.7",
        "user_agent": "curl/8",
        "details": {"scope": "openid colors:read", "expires_in": 3600, "nested": [1, None]},
    }
    return AuditEvent(**{**fields, **overrides})


def stored(obj) -> dict:
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    return {key: value for key, value in row.items() if key not in ("id", "created")}


def test_an_insert_stores_what_save_stores_and_sends_the_same_signals(user, app, signals_seen):
    by_orm, compiled = event(user, app), event(user, app)
    by_orm.save()
    orm_signals = list(signals_seen)
    signals_seen.clear()

    for _ in range(2):  # compiled, then executed from the compiled SQL
        compiled = event(user, app)
        compiled_writes.insert(compiled)

    assert compiled.pk is not None and compiled.pk > by_orm.pk
    assert compiled._state.adding is False and compiled._state.db == "default"
    assert compiled.created is not None
    assert stored(compiled) == stored(by_orm)
    assert AuditEvent.objects.get(pk=compiled.pk).created == compiled.created
    assert [name for name, *_ in signals_seen[-2:]] == [name for name, *_ in orm_signals]
    assert signals_seen[-1] == ("post_save", compiled.pk, True)


def test_what_the_fast_path_cannot_do_is_saved_by_the_orm(user, app, signals_seen):
    with_key = event(user, app, pk=987_654)
    with_expression = event(user, app, created=Now())

    compiled_writes.insert(with_key)
    compiled_writes.insert(with_expression)

    assert AuditEvent.objects.filter(pk=987_654).exists()
    assert AuditEvent.objects.get(pk=with_expression.pk).created is not None
    assert [created for name, _, created in signals_seen if name == "post_save"] == [True, True]


def test_an_update_changes_only_the_rows_its_keys_name(user, app):
    anonymous, named = event(None, app), event(user, app)
    compiled_writes.insert(anonymous)
    compiled_writes.insert(named)

    changed = compiled_writes.update(AuditEvent, {"user": user}, user_agent="changed")
    by_null_key = compiled_writes.update(AuditEvent, {"user": None}, user_agent="anonymous")

    assert (changed, by_null_key) == (1, 1)
    agents = dict(AuditEvent.objects.values_list("pk", "user_agent"))
    assert agents == {named.pk: "changed", anonymous.pk: "anonymous"}


def test_a_code_deleted_without_its_sign_in_record_goes_through_the_collector(signed_in, app):
    get_code(signed_in, app, scope="openid colors:read")
    grant = get_grant_model().objects.get()
    assert GrantSignIn.objects.filter(grant=grant).exists()

    deleted = compiled_writes.delete(get_grant_model(), {"id": grant.pk})

    assert deleted == 1
    assert not GrantSignIn.objects.exists()  # cascaded, as the ORM cascades


def test_a_delete_someone_listens_to_is_sent_to_them(signed_in, app):
    get_code(signed_in, app, scope="openid colors:read")
    grant = get_grant_model().objects.get()
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.grant_id)

    post_delete.connect(listener, sender=GrantSignIn, dispatch_uid="test-listener")
    try:
        compiled_writes.delete(GrantSignIn, {"grant": grant})
    finally:
        post_delete.disconnect(sender=GrantSignIn, dispatch_uid="test-listener")

    assert heard == [grant.pk]


def test_held_back_writes_arrive_together_at_the_end_of_the_block(user, app):
    consent = Consent.objects.create(user=user, application=app, scope="openid")

    with CaptureQueriesContext(connection) as sent:
        with compiled_writes.batched():
            assert compiled_writes.update(Consent, {"pk": consent.pk}, scope="x") is None
            compiled_writes.update(Consent, {"user": user, "application": app}, scope="y z")
            compiled_writes.insert(
                RedeemedCode(code_checksum="c" * 64, application=app, user=user), hold=True
            )
            before = len(sent.captured_queries)
            assert Consent.objects.get().scope == "openid"
            assert not RedeemedCode.objects.exists()

    flushed = len(sent.captured_queries) - before - 2  # the two reads above
    assert flushed == (1 if connection.vendor == "postgresql" else 3)
    assert Consent.objects.get().scope == "y z"
    assert RedeemedCode.objects.get().code_checksum == "c" * 64


def test_held_back_writes_are_dropped_when_the_block_fails(user, app):
    Consent.objects.create(user=user, application=app, scope="openid")

    with pytest.raises(RuntimeError), compiled_writes.batched():
        compiled_writes.update(Consent, {"user": user}, scope="changed")
        raise RuntimeError("the token request failed")

    assert Consent.objects.get().scope == "openid"


def test_a_held_insert_gets_its_id_and_its_signal_when_the_batch_is_sent(user, app, signals_seen):
    consent = Consent.objects.create(user=user, application=app, scope="openid")
    held, later = event(user, app), event(None, app, user_agent="second")

    with CaptureQueriesContext(connection) as sent:
        with compiled_writes.batched():
            compiled_writes.update(Consent, {"pk": consent.pk}, scope="x")
            compiled_writes.insert(held, hold=True)
            compiled_writes.insert(later, hold=True)
            assert (held.pk, later.pk) == (None, None)
            assert [name for name, *_ in signals_seen] == ["pre_save", "pre_save"]
            assert not AuditEvent.objects.exists()

    assert len(sent.captured_queries) - 1 == (1 if connection.vendor == "postgresql" else 3)
    assert held.pk is not None and later.pk == held.pk + 1
    assert held._state.adding is False
    assert AuditEvent.objects.get(pk=held.pk).details == held.details
    assert AuditEvent.objects.get(pk=later.pk).user_agent == "second"
    assert signals_seen[2:] == [("post_save", held.pk, True), ("post_save", later.pk, True)]
    assert Consent.objects.get().scope == "x"


def test_held_inserts_get_their_ids_when_sent_as_prepared_statements(user, app):
    # Nothing captures the queries here, so on PostgreSQL the batch goes as prepared statements
    # in one pipeline (oauth_portal/db/prepared.py), not as the one text a capture shows.
    consent = Consent.objects.create(user=user, application=app, scope="openid")
    held, later = event(user, app), event(None, app, user_agent="second")

    with compiled_writes.batched():
        compiled_writes.update(Consent, {"pk": consent.pk}, scope="x")
        compiled_writes.insert(held, hold=True)
        compiled_writes.insert(later, hold=True)

    assert later.pk == held.pk + 1
    by_orm = event(user, app)
    by_orm.save()
    assert stored(held) == stored(by_orm)
    assert AuditEvent.objects.get(pk=later.pk).user_agent == "second"
    assert Consent.objects.get().scope == "x"


def test_a_held_write_that_fails_raises_djangos_error_and_the_batch_leaves_nothing(user, app):
    Consent.objects.create(user=user, application=app, scope="openid")
    RedeemedCode.objects.create(code_checksum="d" * 64, application=app, user=user)

    with pytest.raises(IntegrityError), transaction.atomic(), compiled_writes.batched():
        compiled_writes.update(Consent, {"user": user}, scope="changed")
        compiled_writes.insert(
            RedeemedCode(code_checksum="d" * 64, application=app, user=user), hold=True
        )
        compiled_writes.insert(event(user, app), hold=True)

    assert Consent.objects.get().scope == "openid"
    assert not AuditEvent.objects.exists()
    assert RedeemedCode.objects.count() == 1


def test_a_token_request_writes_its_audit_event_with_its_other_writes(signed_in, app):
    code, verifier = get_code(signed_in, app, scope="openid colors:read")

    with CaptureQueriesContext(connection) as sent:
        response = redeem(signed_in, app, code, verifier)

    assert response.status_code == 200
    issued = AuditEvent.objects.get(type=AuditEvent.Type.TOKEN_ISSUED)
    assert issued.details["grant_type"] == "authorization_code"
    inserts = [q["sql"] for q in sent.captured_queries if "portal_audit_auditevent" in q["sql"]]
    if connection.vendor == "postgresql":  # its values are bound client-side, into the text
        [statement] = [sql for sql in inserts if "token.issued" in sql]
        assert 'DELETE FROM "oauth2_provider_grant"' in statement  # one round trip with it
