"""Queries compiled once per process (oauth_portal/db/compiled_queries.py) answer each call's
own parameters, read fresh, and convert columns as the ORM would."""

from datetime import datetime

import pytest
from oauth2_provider.models import get_access_token_model

from oauth_portal.db import compiled_queries
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db


def scopes_of(*, checksum: str):
    return get_access_token_model().objects.filter(token_checksum=checksum).values_list("scope")


def expiry_of(*, checksum: str):
    return (
        get_access_token_model()
        .objects.filter(token_checksum=checksum)
        .values_list("expires", "resource")
    )


def checksum_of(scope: str) -> str:
    return get_access_token_model().objects.get(scope=scope).token_checksum


def test_a_text_parameter_is_bound_per_call(user, app):
    mint_access_token(user=user, app=app, scope="colors:read")
    mint_access_token(user=user, app=app, scope="colors:write")

    first = compiled_queries.rows("scope", scopes_of, checksum=checksum_of("colors:read"))
    second = compiled_queries.rows("scope", scopes_of, checksum=checksum_of("colors:write"))
    unknown = compiled_queries.rows("scope", scopes_of, checksum="0" * 64)

    assert (first, second, unknown) == ([("colors:read",)], [("colors:write",)], [])


def test_values_converts_columns_as_the_orm_does(user, app):
    mint_access_token(user=user, app=app, scope="colors:read")
    get_access_token_model().objects.update(resource=["https://api.example.test/colors"])
    checksum = checksum_of("colors:read")

    for _ in range(2):  # compiled, then executed from the compiled SQL
        [(expires, resource)] = compiled_queries.values("expiry", expiry_of, checksum=checksum)
        assert isinstance(expires, datetime)
        assert expires.tzinfo is not None
        assert resource == ["https://api.example.test/colors"]


def test_a_row_changed_between_two_calls_is_read_as_it_is_now(user, app):
    mint_access_token(user=user, app=app, scope="colors:read")
    checksum = checksum_of("colors:read")
    assert compiled_queries.rows("scope", scopes_of, checksum=checksum) == [("colors:read",)]

    get_access_token_model().objects.update(scope="colors:write")

    assert compiled_queries.rows("scope", scopes_of, checksum=checksum) == [("colors:write",)]


def test_a_parameter_that_is_neither_id_nor_text_goes_through_the_orm(user, app):
    """``None`` must become ``IS NULL``, which only the ORM writes."""
    mint_access_token(user=user, app=app, scope="colors:read")

    def owned_by(*, user_id):
        return get_access_token_model().objects.filter(user_id=user_id).values_list("scope")

    assert compiled_queries.rows("owned", owned_by, user_id=None) == []
    assert compiled_queries.rows("owned", owned_by, user_id=user.pk) == [("colors:read",)]


def test_reads_sent_together_answer_as_each_read_alone(user, app):
    """``run_together``: rows, converted values and instances, each as ``run`` answers it."""
    mint_access_token(user=user, app=app, scope="colors:read")
    checksum = checksum_of("colors:read")
    reads = [
        compiled_queries.Read("rows", "together-scope", scopes_of, {"checksum": checksum}),
        compiled_queries.Read("values", "together-expiry", expiry_of, {"checksum": checksum}),
        compiled_queries.Read("values", "together-none", expiry_of, {"checksum": "0" * 64}),
        compiled_queries.Read(
            "instances", "together-client", clients_named, {"client_id": app.client_id}
        ),
    ]

    together = compiled_queries.run_together(*reads)
    alone = [compiled_queries.run(read) for read in reads]

    assert together[:3] == alone[:3]
    assert together[0] == [("colors:read",)]
    assert isinstance(together[1][0][0], datetime) and together[1][0][0].tzinfo is not None
    assert together[2] == []
    [client] = together[3]
    assert (client.pk, client.client_id, client.name) == (app.pk, app.client_id, app.name)


def clients_named(*, client_id: str):
    from oauth_portal.server.models import Application

    return Application.objects.filter(client_id=client_id)
