"""``export_registry`` and ``import_registry``: the registry moves from one environment to
another as JSON without a secret in it; an import creates or updates by natural key, all or
nothing, and a confidential client it creates works with the secret it prints once."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import (
    ApiOperation,
    ApiResource,
    Application,
    CustomClaim,
    Role,
    Scope,
)
from tests.factories import (
    CLIENT_SECRET,
    ApiResourceFactory,
    ApplicationFactory,
    PublicApplicationFactory,
    ScopeFactory,
    UserFactory,
)
from tests.oauth_helpers import token_request

pytestmark = pytest.mark.django_db

SECRET_LINE = re.compile(r"^New client secret \(shown once\): (\S+) (\S+)$", re.MULTILINE)


@pytest.fixture
def world(db):
    """A registry with one of everything, beside the Colors API that migrate registers."""
    owner = UserFactory(username="publisher")
    orders = ApiResourceFactory(
        name="Orders",
        identifier="https://api.example.test/orders",
        base_path="/api/orders/",
        access_token_format=ApiResource.TokenFormat.JWT,
        enforce_roles=True,
        owner=owner,
    )
    read = ScopeFactory(name="orders:read", description="See your orders", api=orders)
    ScopeFactory(name="orders:write", description="Place orders", api=orders, is_active=False)
    ApiOperation.objects.create(api=orders, method="GET", path="/{id}/", scope=read, summary="One")
    Role.objects.create(api=orders, name="clerk", description="Reads").scopes.set([read])
    CustomClaim.objects.create(key="https://example.test/dept", attribute="last_name", api=orders)
    CustomClaim.objects.create(key="https://example.test/groups", source="groups", in_id_token=True)
    web = ApplicationFactory(name="Shop", user=owner, description="The shop")
    web.allowed_scopes.set(Scope.objects.filter(name__in=["openid", "orders:read"]))
    web.required_scopes.set([read])
    service = ApplicationFactory(
        name="Robot",
        user=owner,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        redirect_uris="",
        algorithm="",
    )
    service.allowed_scopes.set(Scope.objects.filter(name="colors:read"))
    orders.resource_servers.set([service])
    PublicApplicationFactory(
        name="Widget", user=owner, allowed_origins="https://widget.example.test"
    )
    return {"owner": owner, "web": web, "service": service}


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def export() -> dict:
    return json.loads(run("export_registry")[0])


def import_file(tmp_path, document: dict, *options) -> str:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(document))
    return run("import_registry", str(path), *options)[0]


def wipe_registry() -> None:
    ApiOperation.objects.all().delete()
    Role.objects.all().delete()
    CustomClaim.objects.all().delete()
    Application.objects.all().delete()
    Scope.objects.all().delete()
    ApiResource.objects.all().delete()


def client_credentials(client_id: str, secret: str):
    return token_request(
        Client(),
        Application(client_id=client_id),
        {"grant_type": "client_credentials", "scope": "colors:read"},
        secret=secret,
    )


def test_export_holds_no_secret_or_hash(world):
    text = run("export_registry")[0]
    stored_hash = Application.objects.get(pk=world["web"].pk).client_secret

    assert CLIENT_SECRET not in text
    assert stored_hash not in text and "portal_hmac" not in text and "pbkdf2" not in text
    assert "client_secret" not in text


def test_export_describes_apis_and_clients_by_natural_key(world):
    document = export()

    orders = next(a for a in document["apis"] if a["identifier"].endswith("/orders"))
    assert orders["owner"] == "publisher" and orders["access_token_format"] == "jwt"
    assert [s["name"] for s in orders["scopes"]] == ["orders:read", "orders:write"]
    assert orders["operations"] == [
        {"method": "GET", "path": "/{id}/", "scope": "orders:read", "summary": "One"}
    ]
    assert orders["roles"][0]["scopes"] == ["orders:read"]
    assert orders["resource_servers"] == [world["service"].client_id]
    assert [c["key"] for c in document["id_token_claims"]] == ["https://example.test/groups"]
    assert {s["name"] for s in document["scopes"]} >= {"openid", "profile", "email"}
    shop = next(c for c in document["clients"] if c["name"] == "Shop")
    assert shop["client_id"] == world["web"].client_id and shop["owner"] == "publisher"
    assert shop["allowed_scopes"] == ["openid", "orders:read"]


def test_round_trip_gives_the_same_document_and_a_working_service(world, tmp_path):
    before = export()
    wipe_registry()

    output = import_file(tmp_path, before)

    assert export() == before
    assert "clients: 3 created, 0 updated, 0 unchanged" in output
    secrets = dict(SECRET_LINE.findall(output))
    assert set(secrets) == {world["web"].client_id, world["service"].client_id}
    service_id = world["service"].client_id
    response = client_credentials(service_id, secrets[service_id])
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "colors:read"
    # The old environment's secret did not travel.
    assert client_credentials(service_id, CLIENT_SECRET).json()["error"] == "invalid_client"


def test_import_onto_the_same_state_changes_nothing_and_keeps_secrets(world, tmp_path):
    document = export()

    output = import_file(tmp_path, document)

    assert "clients: 0 created, 0 updated, 3 unchanged" in output
    assert "apis: 0 created, 0 updated, 2 unchanged" in output
    assert not SECRET_LINE.search(output)
    assert client_credentials(world["service"].client_id, CLIENT_SECRET).status_code == 200


def test_import_updates_rows_found_by_natural_key(world, tmp_path):
    document = export()
    orders = next(a for a in document["apis"] if a["identifier"].endswith("/orders"))
    orders["scopes"][0]["description"] = "See all your orders"
    shop = next(c for c in document["clients"] if c["name"] == "Shop")
    shop["redirect_uris"] = "https://shop.example.test/callback"
    shop["allowed_scopes"] = ["openid"]

    output = import_file(tmp_path, document)

    assert "scopes: 0 created, 1 updated" in output
    assert "clients: 0 created, 1 updated, 2 unchanged" in output
    web = Application.objects.get(pk=world["web"].pk)
    assert web.redirect_uris == "https://shop.example.test/callback"
    assert list(web.allowed_scopes.values_list("name", flat=True)) == ["openid"]
    assert Scope.objects.get(name="orders:read").description == "See all your orders"
    # Still the same client with the same secret.
    assert client_credentials(world["service"].client_id, CLIENT_SECRET).status_code == 200


def test_dry_run_reports_and_changes_nothing(world, tmp_path):
    document = export()
    wipe_registry()

    output = import_file(tmp_path, document, "--dry-run")

    assert "clients: 3 created" in output and "Dry run: nothing was changed." in output
    assert not SECRET_LINE.search(output)
    assert not Application.objects.exists() and not ApiResource.objects.exists()


def test_no_secrets_prints_none_and_the_client_must_rotate(world, tmp_path):
    document = export()
    wipe_registry()

    output = import_file(tmp_path, document, "--no-secrets")

    assert not SECRET_LINE.search(output)
    assert Application.objects.filter(client_id=world["service"].client_id).exists()
    assert CLIENT_SECRET not in output


def test_an_unknown_owner_is_reported_and_left_empty(world, tmp_path):
    document = export()
    wipe_registry()
    world["owner"].delete()

    path = tmp_path / "registry.json"
    path.write_text(json.dumps(document))
    _out, err = run("import_registry", str(path))

    assert f"client {world['web'].client_id}: no user 'publisher' here" in err
    assert Application.objects.get(client_id=world["web"].client_id).user is None


def test_strict_import_fails_on_an_unknown_owner_and_changes_nothing(world, tmp_path):
    document = export()
    wipe_registry()
    world["owner"].delete()

    with pytest.raises(CommandError, match="no user 'publisher' here"):
        import_file(tmp_path, document, "--strict")

    assert not ApiResource.objects.exists() and not Application.objects.exists()


def test_an_invalid_client_fails_the_whole_import(world, tmp_path):
    document = export()
    wipe_registry()
    shop = next(c for c in document["clients"] if c["name"] == "Shop")
    shop["redirect_uris"] = "http://shop.example.test/callback"

    with pytest.raises(CommandError, match=f"clients {shop['client_id']}: redirect_uris"):
        import_file(tmp_path, document)

    assert not ApiResource.objects.exists() and not Scope.objects.exists()


@pytest.mark.parametrize(
    "document",
    [{"apis": []}, {"format": "oauth-portal-registry", "version": 99}, [1, 2]],
)
def test_a_file_that_is_not_an_export_is_refused(db, tmp_path, document):
    with pytest.raises(CommandError, match="Nothing was changed"):
        import_file(tmp_path, document)


@pytest.mark.parametrize(
    "apis", [[{"name": "x"}], ["https://api.example.test/x"], [{"identifier": 5, "scopes": 1}]]
)
def test_a_malformed_row_is_refused(db, tmp_path, apis):
    document = {"format": "oauth-portal-registry", "version": 1, "apis": apis}

    with pytest.raises(CommandError, match="Nothing was changed"):
        import_file(tmp_path, document)

    assert not ApiResource.objects.filter(name="x").exists()


def test_import_and_export_are_audited(world, tmp_path):
    document = export()

    import_file(tmp_path, document)

    actions = list(
        AuditEvent.objects.filter(type=AuditEvent.Type.ADMIN_ACTION).values_list(
            "details__action", flat=True
        )
    )
    assert sorted(actions) == ["registry_exported", "registry_imported"]
    imported = AuditEvent.objects.get(details__action="registry_imported")
    assert imported.details["summary"]["clients"]["unchanged"] == 3
