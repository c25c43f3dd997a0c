"""The Colors API enforces the scopes its registered operations name (method + path template),
read from the registry: an admin's change takes effect without a deployment, and a request no
operation declares is refused whatever the token holds."""

import json

import pytest
from django.core.exceptions import ValidationError

from apis.models import Color
from oauth_portal.server import operation_scopes
from oauth_portal.server.models import ApiOperation, ApiResource, Scope
from tests.factories import ApiResourceFactory, ScopeFactory
from tests.oauth_helpers import mint_access_token

pytestmark = pytest.mark.django_db

SKY = json.dumps({"name": "Sky", "hex": "#3366ff"})


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def colors_api():
    return ApiResource.objects.get(identifier="https://api.example.test/colors")


def test_migrate_registers_the_colors_operations(colors_api):
    assert sorted(
        (op.method, op.path, op.scope.name) for op in colors_api.operations.select_related("scope")
    ) == [
        ("GET", "/", "colors:read"),
        ("GET", "/palettes/", "colors:read"),
        ("POST", "/", "colors:write"),
    ]


def test_reading_with_colors_read_is_200(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    assert client.get("/api/colors/", **bearer(token)).status_code == 200
    assert client.head("/api/colors/", **bearer(token)).status_code == 200


def test_posting_with_only_colors_read_is_403_insufficient_scope(client, user, app):
    token = mint_access_token(user=user, app=app, scope="colors:read")
    response = client.post("/api/colors/", SKY, content_type="application/json", **bearer(token))
    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api",error="insufficient_scope",scope="colors:write"'
    )
    assert response.json()["scope"] == "colors:write"
    assert Color.objects.count() == 0


def test_the_registry_decides_the_scope_an_operation_needs(client, user, app, colors_api):
    read_only = mint_access_token(user=user, app=app, scope="colors:read")
    operation = colors_api.operations.get(method="GET", path="/")
    operation.scope = Scope.objects.get(name="colors:write")
    operation.save()  # as the admin saves it: the process's registry snapshot is dropped

    response = client.get("/api/colors/", **bearer(read_only))
    assert response.status_code == 403
    assert 'scope="colors:write"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_method_the_view_does_not_have_stays_405(client, user, app, method):
    token = mint_access_token(user=user, app=app, scope="colors:read colors:write")
    response = getattr(client, method)(
        "/api/colors/", SKY, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 405


def test_an_undeclared_operation_is_refused_whatever_the_token_holds(client, user, app, colors_api):
    token = mint_access_token(user=user, app=app, scope="colors:read colors:write")
    colors_api.operations.get(method="POST").delete()

    response = client.post("/api/colors/", SKY, content_type="application/json", **bearer(token))

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == 'Bearer realm="api",error="insufficient_scope"'
    body = response.json()
    assert body["error"] == "insufficient_scope"
    assert "scope" not in body
    assert Color.objects.count() == 0


def test_no_token_is_still_401_and_a_bad_one_invalid_token(client):
    assert client.get("/api/colors/").status_code == 401
    response = client.get("/api/colors/", **bearer("made-up"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.fixture
def shelves_api():
    api = ApiResourceFactory(name="Shelves", base_path="/shelves/")
    read = ScopeFactory(name="shelves:read", api=api)
    admin = ScopeFactory(name="shelves:admin", api=api)
    for method, path, scope in [
        ("GET", "/", read),
        ("GET", "/{shelf}/books/{book}", read),
        ("GET", "/mine/books/{book}", admin),
        ("DELETE", "/{shelf}/", admin),
    ]:
        ApiOperation.objects.create(api=api, method=method, path=path, scope=scope)
    return api


@pytest.mark.parametrize(
    "method, path, scope",
    [
        ("GET", "/shelves/", "shelves:read"),
        ("HEAD", "/shelves/", "shelves:read"),
        ("GET", "/shelves/7/books/42", "shelves:read"),
        ("GET", "/shelves/mine/books/42", "shelves:admin"),  # the most literal template wins
        ("DELETE", "/shelves/7/", "shelves:admin"),
        ("DELETE", "/shelves/", None),
        ("GET", "/shelves/7/books/42/", None),  # a trailing slash is a different path
        ("GET", "/shelves/7/books", None),
        ("GET", "/elsewhere/", None),  # no API serves it
    ],
)
def test_path_templates_match_whole_segments(shelves_api, method, path, scope):
    assert operation_scopes.scope_required(path=path, method=method) == scope


@pytest.mark.parametrize(
    "path", ["colors", "/colors/{id", "/colors/{}/", "/colors/x{id}/", "/a?b=1", "/a#b", "//"]
)
def test_malformed_path_templates_are_refused(colors_api, path):
    operation = ApiOperation(
        api=colors_api, method="GET", path=path, scope=Scope.objects.get(name="colors:read")
    )
    with pytest.raises(ValidationError) as refusal:
        operation.full_clean()
    assert "path" in refusal.value.message_dict


def test_an_operation_cannot_require_another_apis_scope(colors_api):
    other = ScopeFactory(name="other:read")
    operation = ApiOperation(api=colors_api, method="GET", path="/{id}/", scope=other)
    with pytest.raises(ValidationError) as refusal:
        operation.full_clean()
    assert "scope" in refusal.value.message_dict
