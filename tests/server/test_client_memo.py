"""What the client endpoints keep per process (``client_memo``): the client's row, the scopes it
may be given, the APIs it serves and the roles of an introspected token's user. Kept answers
save the reads, and must never outlive a change made in this process, in another process, or
behind Django's back; and where no generation can be read (no Redis) nothing is kept at all."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oauth_portal.server import client_memo, clients, ratecounters
from oauth_portal.server.models import ApiResource, Application, Role, RoleAssignment, Scope
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import basic_auth, mint_access_token, token_request

pytestmark = pytest.mark.django_db

COLORS = "https://api.example.test/colors"
APPLICATION_TABLE = Application._meta.db_table
SCOPE_TABLE = Scope._meta.db_table


@pytest.fixture
def service(db):
    return ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris="", algorithm=""
    )


def client_credentials(client, app, scope="colors:read"):
    return token_request(client, app, {"grant_type": "client_credentials", "scope": scope})


def kept_after_requests(client, app):
    """Two served requests: the first finds no generation in the emptied Redis and sets one,
    the second keeps what it reads under it."""
    for _ in range(2):
        assert client_credentials(client, app).status_code == 200
    assert kept("client", app.client_id)


def kept(kind: str, key) -> bool:
    return key in client_memo._kept.get(kind, {})


def reads_of(table: str, captured) -> int:
    return sum(f'FROM "{table}"' in query["sql"] for query in captured.captured_queries)


def another_process_commits(change) -> None:
    """What another worker's change does here: the database changes (no signal fires in this
    process) and the generation in Redis is replaced, as that worker's commit does."""
    change()
    client_memo._publish_generation()  # a new random value, without this process forgetting


def test_a_second_request_reads_neither_the_client_nor_its_scopes(client, redis_cache, service):
    kept_after_requests(client, service)

    with CaptureQueriesContext(connection) as captured:
        assert client_credentials(client, service).status_code == 200

    assert reads_of(APPLICATION_TABLE, captured) == 0
    assert reads_of(SCOPE_TABLE, captured) == 0
    # The token's row, then the audit event (sent together: one text when queries are logged).
    sent = "\n".join(statements(captured))
    assert sent.count("INSERT INTO") == 2 and "SELECT" not in sent
    assert sent.index('INTO "oauth2_provider_accesstoken"') < sent.index('INTO "portal_audit_')


def statements(captured) -> list[str]:
    """What the request sent, without the test's own savepoints around the transaction."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_client_suspended_here_is_refused_at_once(client, redis_cache, service):
    kept_after_requests(client, service)

    clients.application_suspend(application=service, actor=None, reason="abuse")

    refused = client_credentials(client, service)
    assert (refused.status_code, refused.json()) == (401, {"error": "invalid_client"})


def test_a_client_suspended_by_another_process_is_refused_at_once(client, redis_cache, service):
    kept_after_requests(client, service)

    another_process_commits(
        lambda: Application.objects.filter(pk=service.pk).update(
            status=Application.Status.SUSPENDED
        )
    )

    refused = client_credentials(client, service)
    assert (refused.status_code, refused.json()) == (401, {"error": "invalid_client"})


def test_an_allow_list_narrowed_here_holds_at_once(client, redis_cache, service):
    other = Scope.objects.create(name="other:read", description="Other")
    kept_after_requests(client, service)

    service.allowed_scopes.set([other])

    refused = client_credentials(client, service)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")


def test_an_allow_list_narrowed_by_another_process_holds_at_once(client, redis_cache, service):
    other = Scope.objects.create(name="other:read", description="Other")
    kept_after_requests(client, service)

    another_process_commits(
        lambda: Application.allowed_scopes.through.objects.bulk_create(
            [Application.allowed_scopes.through(application_id=service.pk, scope_id=other.pk)]
        )
    )

    refused = client_credentials(client, service)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")


def test_a_new_secret_is_needed_at_once_after_rotation(client, redis_cache, service):
    kept_after_requests(client, service)
    service.client_secret = "a brand new secret"
    service.save()

    assert client_credentials(client, service).status_code == 401
    accepted = token_request(
        client,
        service,
        {"grant_type": "client_credentials", "scope": "colors:read"},
        secret="a brand new secret",
    )
    assert accepted.status_code == 200


def test_a_change_behind_djangos_back_is_seen_within_the_kept_time(client, redis_cache, service):
    """A write no signal sees (raw SQL, ``QuerySet.update``) publishes nothing: what was kept
    serves until ``KEPT_SECONDS`` have passed, then the row is read again."""
    kept_after_requests(client, service)
    Application.objects.filter(pk=service.pk).update(status=Application.Status.SUSPENDED)
    assert client_credentials(client, service).status_code == 200  # still the kept row

    later = client_memo.time.monotonic() + client_memo.KEPT_SECONDS + 1
    with mock.patch.object(client_memo.time, "monotonic", return_value=later):
        refused = client_credentials(client, service)

    assert "access_token" not in refused.json()


def test_a_lost_generation_trusts_nothing_and_is_set_again(client, redis_cache, service):
    kept_after_requests(client, service)
    redis_cache.clear()  # Redis restarted or flushed: the generation is gone
    Application.objects.filter(pk=service.pk).update(status=Application.Status.SUSPENDED)

    refused = client_credentials(client, service)

    assert "access_token" not in refused.json()
    generation_key = ratecounters.RedisCounters(redis_cache).redis_key(client_memo.GENERATION)
    assert int(redis_cache._cache.get_client().get(generation_key)) > 0


def test_without_redis_nothing_is_kept(client, database_cache, service):
    assert client_credentials(client, service).status_code == 200
    Application.objects.filter(pk=service.pk).update(status=Application.Status.SUSPENDED)

    refused = client_credentials(client, service)

    assert "access_token" not in refused.json()
    assert client_memo._kept == {}


def test_nothing_kept_is_trusted_outside_a_rate_limited_request(client, redis_cache, service):
    """The portal, the admin and the authorization endpoint read no generation: they read the
    database, even while a worker still holds the client as it was."""
    kept_after_requests(client, service)
    Application.objects.filter(pk=service.pk).update(status=Application.Status.SUSPENDED)

    assert client_memo.recall("client", service.client_id) is client_memo.MISSING
    read = clients.application_for_client_id(service.client_id)
    assert read.status == Application.Status.SUSPENDED
    assert client_credentials(client, service).status_code == 200  # the kept row, for 30 s


def test_unknown_client_ids_are_not_kept(client, redis_cache):
    for n in range(5):
        response = client.post(
            "/o/introspect/", {"token": "x"}, HTTP_AUTHORIZATION=basic_auth(f"nobody-{n}")
        )
        assert response.status_code == 401

    assert not client_memo._kept.get("client")


@pytest.fixture
def colors_server(db):
    server = ApplicationFactory(
        name="Colors backend", authorization_grant_type="client-credentials"
    )
    ApiResource.objects.get(identifier=COLORS).resource_servers.add(server)
    return server


def introspect(client, as_app, token):
    response = client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=basic_auth(as_app.client_id)
    )
    assert response.status_code == 200
    return response.json()


def test_introspection_keeps_the_client_and_what_it_serves(client, redis_cache, colors_server):
    """A repeated introspection sends one statement: the token's own read (its liveness and its
    user's current name are never kept)."""
    token = mint_access_token(user=UserFactory(), app=ApplicationFactory(), scope="colors:read")
    for _ in range(2):  # the first sets the generation, the second keeps
        assert introspect(client, colors_server, token)["active"] is True

    with CaptureQueriesContext(connection) as captured:
        assert introspect(client, colors_server, token)["active"] is True

    assert reads_of(APPLICATION_TABLE, captured) == 0
    assert reads_of(ApiResource._meta.db_table, captured) == 0
    assert len(statements(captured)) == 1


def test_a_resource_server_removed_elsewhere_learns_nothing_more(
    client, redis_cache, colors_server
):
    token = mint_access_token(user=UserFactory(), app=ApplicationFactory(), scope="colors:read")
    for _ in range(2):
        assert introspect(client, colors_server, token)["active"] is True
    assert kept("served", colors_server.client_id)
    colors = ApiResource.objects.get(identifier=COLORS)

    another_process_commits(
        lambda: ApiResource.resource_servers.through.objects.filter(
            apiresource_id=colors.pk, application_id=colors_server.pk
        ).delete()
    )

    assert introspect(client, colors_server, token) == {"active": False}


@pytest.fixture
def colors_reader(db):
    """A user holding the Colors API's "Reader" role, which permits colors:read."""
    colors = ApiResource.objects.get(identifier=COLORS)
    user = UserFactory()
    role = Role.objects.create(api=colors, name="Reader")
    role.scopes.set(Scope.objects.filter(name="colors:read"))
    RoleAssignment.objects.create(role=role, user=user)
    return user


def test_a_role_taken_away_elsewhere_leaves_the_next_answer(
    client, redis_cache, colors_server, colors_reader
):
    token = mint_access_token(user=colors_reader, app=ApplicationFactory(), scope="colors:read")
    for _ in range(2):  # the first sets the generation, the second keeps
        assert introspect(client, colors_server, token)["roles"] == ["Reader"]
    with CaptureQueriesContext(connection) as captured:
        assert introspect(client, colors_server, token)["permissions"] == ["colors:read"]
    assert reads_of(RoleAssignment._meta.db_table, captured) == 0

    def taken_away():
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(RoleAssignment._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE user_id = %s", [colors_reader.pk])

    another_process_commits(taken_away)

    answer = introspect(client, colors_server, token)
    assert (answer["roles"], answer["permissions"]) == ([], [])


def test_a_role_taken_away_here_leaves_the_next_answer(
    client, redis_cache, colors_server, colors_reader
):
    token = mint_access_token(user=colors_reader, app=ApplicationFactory(), scope="colors:read")
    for _ in range(2):
        assert introspect(client, colors_server, token)["roles"] == ["Reader"]

    RoleAssignment.objects.filter(user=colors_reader).delete()

    assert introspect(client, colors_server, token)["roles"] == []


def test_unknown_tokens_are_not_kept(client, redis_cache, colors_server):
    for n in range(3):
        assert introspect(client, colors_server, f"no-such-token-{n}") == {"active": False}

    assert not client_memo._kept.get("roles")


def test_with_rate_limits_off_nothing_is_kept_and_redis_is_not_asked(
    client, redis_cache, service, settings
):
    settings.PORTAL_RATELIMIT_ENABLE = False
    for _ in range(2):
        assert client_credentials(client, service).status_code == 200

    assert not kept("client", service.client_id)
    generation_key = ratecounters.RedisCounters(redis_cache).redis_key(client_memo.GENERATION)
    assert redis_cache._cache.get_client().get(generation_key) is None
