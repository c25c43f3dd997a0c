"""API publishers register their own APIs in the portal; an admin publishes them.

Until published, an API is not in the catalogue and its scopes cannot be granted. A publisher
manages only their own APIs; anyone without the publisher permission is refused.
"""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_access_token_model

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server.models import ApiOperation, ApiResource, Scope
from tests.factories import ApplicationFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    mint_access_token,
    pkce_pair,
    query_of,
    token_request,
)
from tests.server.admin_helpers import run_action

pytestmark = pytest.mark.django_db

ORDERS = "api://orders"
NEW_API = {
    "name": "Orders API",
    "identifier": ORDERS,
    "description": "Your orders at the shop.",
    "scope_name": "orders:read",
    "scope_description": "See your orders",
}


def publisher_named(username: str):
    user = UserFactory(username=username)
    # The group the migration creates, holding portal_server.publish_api.
    user.groups.add(Group.objects.get(name="API publishers"))
    return user


def signed_in_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def publisher(db):
    return publisher_named("petra")


@pytest.fixture
def as_publisher(publisher):
    return signed_in_as(publisher)


@pytest.fixture
def orders_api(as_publisher):
    as_publisher.post(reverse("portal:publisher-api-submit"), NEW_API)
    return ApiResource.objects.get(identifier=ORDERS)


def publish(admin_client, api):
    return run_action(
        admin_client, "publish", api, url_name="admin:portal_server_apiresource_changelist"
    )


def client_credentials(client, app, **params):
    return token_request(client, app, {"grant_type": "client_credentials", **params})


@pytest.fixture
def service_app(db):
    return ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")


# Who may publish


def test_a_developer_without_the_permission_is_refused_and_sees_no_menu(client, user):
    client.force_login(user)

    assert client.get(reverse("portal:publisher-apis")).status_code == 403
    assert client.post(reverse("portal:publisher-api-submit"), NEW_API).status_code == 403
    assert not ApiResource.objects.filter(identifier=ORDERS).exists()
    assert "Your APIs" not in client.get(reverse("portal:index")).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("portal:publisher-api-submit"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_publisher_registers_an_api_with_an_api_uri_and_it_waits_for_approval(
    as_publisher, publisher
):
    assert "Your APIs" in as_publisher.get(reverse("portal:index")).content.decode()

    response = as_publisher.post(reverse("portal:publisher-api-submit"), NEW_API)

    api = ApiResource.objects.get(identifier=ORDERS)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:publisher-api", args=[api.pk])
    assert (api.status, api.owner, api.name) == ("pending", publisher, "Orders API")
    assert Scope.objects.get(name="orders:read").api == api
    page = as_publisher.get(response["Location"]).content.decode()
    assert "Awaiting approval" in page and "See your orders" in page
    actions = [
        (event.type, event.details["action"])
        for event in AuditEvent.objects.filter(actor=publisher).order_by("id")
    ]
    assert actions == [
        (AuditEvent.Type.API_CHANGED, "submitted"),
        (AuditEvent.Type.SCOPE_CHANGED, "created"),
    ]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("identifier", "orders", "is not an absolute URI"),
        ("identifier", "https://api.example.test/colors", "exists already"),
        ("name", "Colors API", "exists already"),
        ("scope_name", "openid", "reserved for sign-in"),
        ("scope_name", "colors:read", "exists already"),
        ("scope_name", "orders read", "without spaces"),
    ],
)
def test_bad_api_details_are_refused_with_the_fix_named(as_publisher, field, value, message):
    response = as_publisher.post(reverse("portal:publisher-api-submit"), {**NEW_API, field: value})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ApiResource.objects.filter(name="Orders API").exists()


# Pending APIs are invisible and cannot be granted


def test_a_pending_api_is_not_in_the_catalogue_nor_the_openapi_document(client, orders_api):
    catalogue = client.get(reverse("portal:apis")).content.decode()
    document = client.get(reverse("portal:api-schema")).content.decode()

    assert "Orders API" not in catalogue and ORDERS not in catalogue
    assert "orders:read" not in catalogue and "orders:read" not in document


def test_a_pending_apis_scope_is_invalid_scope_at_the_token_endpoint(
    client, orders_api, service_app
):
    response = client_credentials(client, service_app, scope="orders:read")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not get_access_token_model().objects.filter(application=service_app).exists()


def test_a_pending_api_as_resource_is_invalid_target(client, orders_api, service_app):
    response = client_credentials(client, service_app, scope="colors:read", resource=ORDERS)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


def test_a_pending_apis_scope_is_invalid_scope_at_authorize(signed_in, orders_api, app):
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid orders:read")

    response = signed_in.get(authorize_url(params))

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_scope"


def test_a_pending_apis_scope_is_not_grantable_even_on_an_explicit_allow_list(
    client, orders_api, service_app
):
    service_app.allowed_scopes.add(Scope.objects.get(name="orders:read"))

    response = client_credentials(client, service_app, scope="orders:read")

    assert response.json()["error"] == "invalid_scope"


# Publication


def test_an_admin_publishes_it_and_then_a_client_gets_a_token_for_it(
    client, admin_client, admin_user, orders_api, service_app
):
    pending = admin_client.get(
        reverse("admin:portal_server_apiresource_changelist"), {"status__exact": "pending"}
    )
    assert list(pending.context["cl"].queryset) == [orders_api]

    publish(admin_client, orders_api)

    assert ApiResource.objects.get(pk=orders_api.pk).status == "published"
    event = AuditEvent.objects.get(type=AuditEvent.Type.API_CHANGED, details__action="published")
    assert (event.actor, event.details["identifier"]) == (admin_user, ORDERS)
    response = client_credentials(client, service_app, scope="orders:read", resource=ORDERS)
    assert response.status_code == 200
    assert response.json()["scope"] == "orders:read"
    assert "Orders API" in client.get(reverse("portal:apis")).content.decode()


def test_publishing_is_refused_to_a_publisher_in_the_admin(orders_api, publisher):
    publisher.is_staff = True
    publisher.save()

    publish(signed_in_as(publisher), orders_api)

    assert ApiResource.objects.get(pk=orders_api.pk).status == "pending"


# Ownership


def test_a_publisher_sees_and_changes_only_their_own_apis(orders_api):
    rival = signed_in_as(publisher_named("rita"))

    assert "Orders API" not in rival.get(reverse("portal:publisher-apis")).content.decode()
    assert rival.get(reverse("portal:publisher-api", args=[orders_api.pk])).status_code == 404
    attempts = [
        ("portal:publisher-api-update", [orders_api.pk], {"name": "Mine now"}),
        (
            "portal:publisher-scope-add",
            [orders_api.pk],
            {"scope_name": "orders:steal", "scope_description": "x"},
        ),
        (
            "portal:publisher-scope-disable",
            [orders_api.pk, orders_api.scopes.get().pk],
            {},
        ),
        (
            "portal:publisher-operation-add",
            [orders_api.pk],
            {"method": "GET", "path": "/", "scope": "orders:read"},
        ),
    ]
    for url_name, args, data in attempts:
        assert rival.post(reverse(url_name, args=args), data).status_code == 404

    api = ApiResource.objects.get(pk=orders_api.pk)
    assert api.name == "Orders API"
    assert list(api.scopes.values_list("name", "is_active")) == [("orders:read", True)]
    assert not api.operations.exists()


# Scopes and operations


def test_a_scope_in_use_can_be_disabled_but_not_deleted(
    client, admin_client, as_publisher, publisher, orders_api, user, app
):
    publish(admin_client, orders_api)
    scope = orders_api.scopes.get()
    mint_access_token(user=user, app=app, scope="orders:read")

    refused = as_publisher.post(
        reverse("portal:publisher-scope-delete", args=[orders_api.pk, scope.pk]), follow=True
    )

    assert Scope.objects.filter(pk=scope.pk).exists()
    assert "in use (1 live tokens)" in refused.content.decode()
    as_publisher.post(reverse("portal:publisher-scope-disable", args=[orders_api.pk, scope.pk]))
    assert Scope.objects.get(pk=scope.pk).is_active is False
    event = AuditEvent.objects.filter(type=AuditEvent.Type.SCOPE_CHANGED).latest("id")
    assert (event.actor, event.details["action"]) == (publisher, "disabled")
    service_app = ApplicationFactory(
        authorization_grant_type="client-credentials", redirect_uris=""
    )
    assert client_credentials(client, service_app, scope="orders:read").json()["error"] == (
        "invalid_scope"
    )


def test_a_scope_nothing_uses_can_be_deleted(as_publisher, orders_api):
    as_publisher.post(
        reverse("portal:publisher-scope-add", args=[orders_api.pk]),
        {"scope_name": "orders:write", "scope_description": "Place orders for you"},
    )
    scope = Scope.objects.get(name="orders:write", api=orders_api)

    as_publisher.post(reverse("portal:publisher-scope-delete", args=[orders_api.pk, scope.pk]))

    assert not Scope.objects.filter(name="orders:write").exists()
    assert AuditEvent.objects.filter(details__action="deleted", details__scope="orders:write")


def test_a_publisher_declares_operations_that_the_openapi_document_lists_once_published(
    client, admin_client, as_publisher, orders_api
):
    response = as_publisher.post(
        reverse("portal:publisher-operation-add", args=[orders_api.pk]),
        {"method": "GET", "path": "/orders/{id}/", "scope": "orders:read", "summary": "One order"},
    )
    assert response.status_code == 302
    assert ApiOperation.objects.filter(api=orders_api, path="/orders/{id}/").exists()
    assert AuditEvent.objects.filter(details__action="operation added").exists()

    publish(admin_client, orders_api)

    document = client.get(reverse("portal:api-schema")).json()
    operation = document["paths"]["/orders/{id}/"]["get"]
    assert operation["security"] == [{"oauth2": ["orders:read"]}]
    assert operation["parameters"][0]["name"] == "id"
    catalogue = client.get(reverse("portal:apis")).content.decode()
    assert "/orders/{id}/" in catalogue


def test_an_operation_cannot_require_another_apis_scope(as_publisher, orders_api):
    response = as_publisher.post(
        reverse("portal:publisher-operation-add", args=[orders_api.pk]),
        {"method": "GET", "path": "/", "scope": "colors:read"},
    )

    assert response.status_code == 400
    assert "scope" in response.context["operation_form"].errors
    assert not orders_api.operations.exists()


def test_the_openapi_document_names_each_colors_operations_scope(client):
    paths = client.get(reverse("portal:api-schema")).json()["paths"]

    assert paths["/api/colors/"]["get"]["security"] == [{"oauth2": ["colors:read"]}]
    assert paths["/api/colors/"]["post"]["security"] == [{"oauth2": ["colors:write"]}]


def test_a_scope_added_to_a_published_api_can_be_asked_for_at_once(
    client, admin_client, as_publisher, orders_api, service_app
):
    publish(admin_client, orders_api)
    as_publisher.post(
        reverse("portal:publisher-scope-add", args=[orders_api.pk]),
        {"scope_name": "orders:write", "scope_description": "Place orders for you"},
    )

    response = client_credentials(client, service_app, scope="orders:write", resource=ORDERS)

    assert response.status_code == 200
    assert response.json()["scope"] == "orders:write"


@pytest.mark.parametrize(
    "field, value",
    [("name", "x" * 100_000), ("identifier", "api://" + "o" * 100_000), ("scope_name", "a\x00b")],
)
def test_hostile_values_are_refused_and_change_nothing(as_publisher, field, value):
    response = as_publisher.post(reverse("portal:publisher-api-submit"), {**NEW_API, field: value})

    assert 400 <= response.status_code < 500 or response.context["form"].errors
    assert not ApiResource.objects.filter(status="pending").exists()
    assert not Scope.objects.filter(name__startswith="orders").exists()
