"""The admin's view of subscriptions and environments: the queue, the client's page, filters."""

import pytest
from django.urls import reverse

from oauth_portal.server import subscriptions
from oauth_portal.server.models import ApiResource, Application, Subscription
from tests.factories import ApplicationFactory, UserFactory
from tests.server.admin_helpers import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    return signed_in_client(UserFactory(username="root", is_staff=True, is_superuser=True))


@pytest.fixture
def pending(db):
    api = ApiResource.objects.create(
        name="Orders API",
        identifier="https://api.example.test/orders",
        subscription_requires_approval=True,
    )
    app = ApplicationFactory(name="Palette", environment=Application.Environment.SANDBOX)
    app.sandbox_testers.create(identifier="tess@example.test")
    return subscriptions.subscription_create(application=app, api=api, actor=app.user)


def test_the_queue_lists_pending_subscriptions(admin_client, pending):
    url = reverse("admin:portal_server_subscription_changelist")

    response = admin_client.get(url, {"status__exact": "pending"})

    assert response.status_code == 200
    assert "Palette" in response.content.decode()
    assert admin_client.get(reverse("admin:portal_server_subscription_add")).status_code == 403


def test_the_clients_page_shows_its_subscriptions_and_test_users(admin_client, pending):
    app = pending.application

    response = admin_client.get(reverse("admin:portal_server_application_change", args=[app.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Orders API" in html and "tess@example.test" in html
    assert "Sandbox" in html


def test_the_client_list_filters_by_environment(admin_client, pending):
    ApplicationFactory(name="Live app")
    url = reverse("admin:portal_server_application_changelist")

    response = admin_client.get(url, {"environment__exact": "sandbox"})

    names = [app.name for app in response.context["cl"].result_list]
    assert names == ["Palette"]


def test_saving_the_note_changes_no_decision(admin_client, pending):
    url = reverse("admin:portal_server_subscription_change", args=[pending.pk])

    admin_client.post(url, {"decision_note": "Tell us your traffic first."})

    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == (
        Subscription.Status.PENDING,
        "Tell us your traffic first.",
    )
