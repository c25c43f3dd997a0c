"""Instances built from values already read (the token cache, compiled reads) must be the very
instances ``Model.from_db`` builds: same values, loaded from the database, fields not read
deferred, related rows reachable; and a model that needs ``__init__`` or its signals still
gets them."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_init
from oauth2_provider.models import get_access_token_model

from oauth_portal.db import model_instances
from tests.factories import UserFactory
from tests.oauth_helpers import get_code, redeem

pytestmark = pytest.mark.django_db


def stored_values(instance) -> dict:
    return {
        name: value
        for name, value in vars(instance).items()
        if name != "_state" and not name.startswith("_")
    }


def test_an_instance_is_the_one_from_db_builds(client, signed_in, app):
    redeem(client, app, *get_code(signed_in, app))
    model = get_access_token_model()
    wanted = {"id", "scope", "expires", "application_id", "user_id"}
    names = [field.attname for field in model._meta.concrete_fields if field.attname in wanted]
    row = model.objects.values_list(*names).get()

    built = model_instances.loaded(model, "default", names, row)
    expected = model.from_db("default", names, row)

    assert stored_values(built) == stored_values(expected)
    assert (built._state.adding, built._state.db) == (False, "default")
    assert built.get_deferred_fields() == expected.get_deferred_fields()
    assert built == expected


def test_fields_not_read_load_on_first_use_and_related_rows_are_reachable(
    client, signed_in, app, django_assert_num_queries
):
    redeem(client, app, *get_code(signed_in, app))
    model = get_access_token_model()
    token_id, application_id = model.objects.values_list("id", "application_id").get()

    built = model_instances.loaded(
        model, "default", ["id", "application_id"], [token_id, application_id]
    )

    stored_checksum = model.objects.get().token_checksum
    with django_assert_num_queries(1):
        assert built.token_checksum == stored_checksum
    with django_assert_num_queries(1):
        assert built.application.client_id == app.client_id


def test_a_model_with_init_signal_receivers_goes_through_from_db():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    user_model = get_user_model()
    person = UserFactory()
    post_init.connect(receiver, sender=user_model)
    try:
        built = model_instances.loaded(user_model, "default", ["id"], [person.pk])
    finally:
        post_init.disconnect(receiver, sender=user_model)

    assert seen == [person.pk]
    assert built.username == person.username
