"""An API's own publisher approves or rejects the subscriptions to it in the portal, as WSO2's
API owners do; other publishers and developers cannot."""

import pytest
from django.urls import reverse

from oauth_portal.audit.models import AuditEvent
from oauth_portal.server import subscriptions
from oauth_portal.server.models import ApiResource, Subscription
from tests.factories import ApplicationFactory, ScopeFactory, UserFactory
from tests.oauth_helpers import token_request
from tests.portal.test_api_publishers import publisher_named, signed_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return publisher_named("petra")


@pytest.fixture
def orders(owner):
    api = ApiResource.objects.create(
        name="Orders API",
        identifier="api://orders",
        base_path="/api/orders/",
        owner=owner,
        subscription_requires_approval=True,
    )
    ScopeFactory(name="orders:read", description="See your orders", api=api)
    return api


@pytest.fixture
def pending(orders):
    developer = UserFactory(username="devon")
    service = ApplicationFactory(
        user=developer,
        name="Devon's billing job",
        authorization_grant_type="client-credentials",
        redirect_uris="",
    )
    subscriptions.subscription_create(application=service, api=orders, actor=developer)
    return Subscription.objects.get(application=service, api=orders)


def decide(client, subscription, decision):
    url = reverse(
        "portal:publisher-subscription-decide",
        args=[subscription.api_id, subscription.pk, decision],
    )
    return client.post(url)


def orders_token(subscription):
    return token_request(
        signed_in_as(subscription.application.user),
        subscription.application,
        {"grant_type": "client_credentials", "scope": "orders:read"},
    )


def test_the_publisher_sees_the_pending_subscription_and_approves_it(owner, pending):
    publisher = signed_in_as(owner)
    page = publisher.get(reverse("portal:publisher-api", args=[pending.api_id]))
    assert "Devon&#x27;s billing job" in page.content.decode()
    assert "Pending approval" in page.content.decode()
    assert orders_token(pending).json()["error"] == "invalid_scope"

    response = decide(publisher, pending, "approve")

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == (Subscription.Status.APPROVED, owner)
    assert orders_token(pending).status_code == 200
    event = AuditEvent.objects.get(type=AuditEvent.Type.SUBSCRIPTION_APPROVED)
    assert event.actor == owner


def test_rejecting_an_approved_subscription_ends_the_apps_access(owner, pending):
    publisher = signed_in_as(owner)
    decide(publisher, pending, "approve")
    assert orders_token(pending).status_code == 200

    decide(publisher, pending, "reject")

    pending.refresh_from_db()
    assert pending.status == Subscription.Status.REJECTED
    assert orders_token(pending).json()["error"] == "invalid_scope"


def test_another_publisher_cannot_decide_on_someone_elses_api(pending):
    stranger = signed_in_as(publisher_named("mallory"))

    assert decide(stranger, pending, "approve").status_code == 404

    pending.refresh_from_db()
    assert pending.status == Subscription.Status.PENDING


def test_the_subscribing_developer_cannot_approve_their_own_subscription(pending):
    developer = signed_in_as(pending.application.user)

    assert decide(developer, pending, "approve").status_code == 403

    pending.refresh_from_db()
    assert pending.status == Subscription.Status.PENDING


def test_an_unknown_decision_changes_nothing(owner, pending):
    assert decide(signed_in_as(owner), pending, "delete").status_code == 404

    assert Subscription.objects.filter(pk=pending.pk, status="pending").exists()
