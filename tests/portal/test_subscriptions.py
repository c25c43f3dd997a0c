"""API subscriptions: an app with subscriptions gets tokens only for the APIs it subscribed to
and that are approved; unsubscribing ends its access; each subscription shows the app's calls."""

import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from oauth_portal.audit.models import AuditEvent
from oauth_portal.portal.playground_views import scope_names_for
from oauth_portal.server import api_usage, registry, subscriptions
from oauth_portal.server.models import ApiResource, ApiUsage, Application, Scope, Subscription
from tests.factories import ApplicationFactory, ScopeFactory, UserFactory
from tests.oauth_helpers import (
    authorize_params,
    authorize_url,
    basic_auth,
    get_code,
    pkce_pair,
    query_of,
    redeem,
    token_request,
)
from tests.portal.helpers import HttpsClient
from tests.server.admin_helpers import run_action, signed_in_client

pytestmark = pytest.mark.django_db

COLORS = "https://api.example.test/colors"
SUBSCRIPTIONS = "admin:portal_server_subscription_changelist"


@pytest.fixture(autouse=True)
def usage_written_on_every_call(settings):
    """Usage is written in batches; here each call writes, from a clean slate."""
    settings.PORTAL_API_USAGE_FLUSH_SECONDS = 0
    api_usage.forget()
    yield
    api_usage.forget()


@pytest.fixture
def orders(db):
    """A second API whose subscriptions an administrator approves one by one."""
    api = ApiResource.objects.create(
        name="Orders API",
        identifier="https://api.example.test/orders",
        base_path="/api/orders/",
        subscription_requires_approval=True,
    )
    ScopeFactory(name="orders:read", description="See your orders", api=api)
    return api


@pytest.fixture
def colors(db):
    return ApiResource.objects.get(identifier=COLORS)


@pytest.fixture
def colors_uses_jwt(colors):
    colors.access_token_format = ApiResource.TokenFormat.JWT
    colors.save()
    registry.forget()


@pytest.fixture
def developer(db):
    return UserFactory(username="devon", email="devon@example.test")


@pytest.fixture
def service(developer):
    return ApplicationFactory(
        user=developer, authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def portal_of(user) -> HttpsClient:
    portal = HttpsClient()
    portal.force_login(user)
    return portal


def client_credentials(app, scope: str, **extra):
    data = {"grant_type": "client_credentials", "scope": scope, **extra}
    return token_request(Client(), app, data)


def subscribed_app_and_bearer(developer, user, api, **params) -> tuple[Application, str]:
    """A developer's app subscribed to ``api``, and an ``Authorization`` header with a token
    ``user`` granted it for ``colors:read``."""
    app = ApplicationFactory(user=developer)
    subscribe(developer, app, api)
    browser = Client()
    browser.force_login(user)
    code, verifier = get_code(browser, app, scope="openid colors:read", **params)
    return app, f"Bearer {redeem(browser, app, code, verifier).json()['access_token']}"


def subscribe(developer, app, api):
    return portal_of(developer).post(
        reverse("portal:subscription-create", args=[api.pk]), {"application": app.pk}
    )


def test_an_app_without_subscriptions_keeps_every_active_scope(service, orders):
    """createapplication's apps (no allow-list, no subscription) may ask for every active scope,
    except those of an API whose subscriptions need approval."""
    extra = ScopeFactory(name="extra:read")

    assert client_credentials(service, f"colors:read colors:write {extra.name}").status_code == 200
    refused = client_credentials(service, "orders:read")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")


def test_a_subscribed_app_may_ask_only_for_its_apis_scopes(developer, service, colors):
    extra = ScopeFactory(name="extra:read")
    assert subscribe(developer, service, colors).status_code == 302

    assert client_credentials(service, "colors:read").status_code == 200
    refused = client_credentials(service, f"colors:read {extra.name}")
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")
    target = client_credentials(service, "colors:read", resource=extra.api.identifier)
    assert (target.status_code, target.json()["error"]) == (400, "invalid_target")


def test_a_subscribed_app_still_gets_the_openid_scopes(developer, colors, signed_in):
    app = ApplicationFactory(user=developer)
    subscribe(developer, app, colors)

    code, verifier = get_code(signed_in, app, scope="openid profile colors:read")
    response = redeem(signed_in, app, code, verifier)

    assert response.status_code == 200, response.content
    assert set(response.json()["scope"].split()) == {"openid", "profile", "colors:read"}


def test_a_pending_subscription_is_not_usable_until_approved(
    developer, service, orders, admin_user
):
    subscribe(developer, service, orders)
    subscription = Subscription.objects.get(application=service, api=orders)
    assert subscription.status == Subscription.Status.PENDING
    assert client_credentials(service, "orders:read").json()["error"] == "invalid_scope"

    run_action(signed_in_client(admin_user), "approve", subscription, url_name=SUBSCRIPTIONS)

    assert client_credentials(service, "orders:read").status_code == 200
    approved = AuditEvent.objects.get(type=AuditEvent.Type.SUBSCRIPTION_APPROVED)
    assert (approved.actor, approved.application) == (admin_user, service)


def test_a_ticked_scope_does_not_skip_the_apis_approval(developer, orders):
    app = ApplicationFactory(
        user=developer, authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )
    app.allowed_scopes.set(Scope.objects.filter(name__in=["orders:read", "colors:read"]))

    assert client_credentials(app, "colors:read").status_code == 200
    assert client_credentials(app, "orders:read").json()["error"] == "invalid_scope"


def test_rejecting_an_approved_subscription_revokes_the_apps_tokens(
    developer, service, orders, admin_user
):
    subscribe(developer, service, orders)
    subscription = Subscription.objects.get(application=service, api=orders)
    subscriptions.subscription_approve(subscription=subscription, actor=admin_user)
    token = client_credentials(service, "orders:read").json()["access_token"]

    run_action(signed_in_client(admin_user), "reject", subscription, url_name=SUBSCRIPTIONS)

    introspected = Client().post(
        "/o/introspect/",
        {"token": token},
        HTTP_AUTHORIZATION=basic_auth(service.client_id),
    )
    assert introspected.json() == {"active": False}
    assert client_credentials(service, "orders:read").json()["error"] == "invalid_scope"
    assert AuditEvent.objects.filter(type=AuditEvent.Type.SUBSCRIPTION_REJECTED).count() == 1


def test_only_deciders_may_approve_and_the_hook_can_widen_it(developer, service, orders, settings):
    subscribe(developer, service, orders)
    subscription = Subscription.objects.get(application=service, api=orders)

    with pytest.raises(PermissionDenied):
        subscriptions.subscription_approve(subscription=subscription, actor=developer)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PENDING

    settings.PORTAL_SUBSCRIPTION_DECIDER = "tests.portal.test_subscriptions.developer_is_publisher"
    assert subscriptions.subscription_approve(subscription=subscription, actor=developer)
    assert client_credentials(service, "orders:read").status_code == 200


def developer_is_publisher(*, actor, subscription) -> bool:
    """A stand-in for an API publishers' check: the user named devon publishes every API."""
    return actor.get_username() == "devon"


def test_unsubscribing_revokes_the_apps_tokens_for_that_api(developer, colors, user):
    app = ApplicationFactory(user=developer)
    subscribe(developer, app, colors)
    browser = Client()
    browser.force_login(user)
    code, verifier = get_code(browser, app, scope="openid colors:read")
    access = redeem(browser, app, code, verifier).json()["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    assert Client().get("/api/colors/", **bearer).status_code == 200
    subscription = Subscription.objects.get(application=app)

    response = portal_of(developer).post(
        reverse("portal:subscription-delete", args=[app.pk, subscription.pk])
    )

    assert response.status_code == 302
    assert Client().get("/api/colors/", **bearer).status_code == 401
    event = AuditEvent.objects.get(type=AuditEvent.Type.UNSUBSCRIBED)
    assert (event.actor, event.details["api"], event.details["access_tokens_revoked"]) == (
        developer,
        COLORS,
        1,
    )


def test_usage_counts_move_after_api_calls(developer, colors, user):
    app, bearer = subscribed_app_and_bearer(developer, user, colors)
    for _ in range(3):
        assert Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer).status_code == 200
    Client().get("/api/colors/", HTTP_AUTHORIZATION="Bearer not-a-token")

    page = portal_of(developer).get(reverse("portal:application-detail", args=[app.pk]))

    row = page.context["subscriptions"]["rows"][0]
    assert (row["usage"]["today"], row["usage"]["recent"]) == (3, 3)
    assert row["usage"]["last_call"] is not None
    assert '<td data-label="Calls today">3</td>' in page.content.decode()


def test_usage_counts_jwt_access_tokens_too(developer, colors, user, colors_uses_jwt):
    app, bearer = subscribed_app_and_bearer(developer, user, colors, resource=COLORS)

    assert Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer).status_code == 200

    page = portal_of(developer).get(reverse("portal:application-detail", args=[app.pk]))
    assert page.context["subscriptions"]["rows"][0]["usage"]["today"] == 1


def test_usage_days_are_the_sites_whatever_time_zone_a_request_activated(
    developer, colors, user, settings
):
    """The site's day is 26 hours behind the time zone the call runs under: the call still
    counts on the site's today, where the portal looks for it."""
    settings.TIME_ZONE = "Etc/GMT+12"
    app, bearer = subscribed_app_and_bearer(developer, user, colors)

    with timezone.override(zoneinfo.ZoneInfo("Pacific/Kiritimati")):
        assert Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer).status_code == 200

    site_today = timezone.localdate(timezone=timezone.get_default_timezone())
    assert ApiUsage.objects.get(application=app).day == site_today
    page = portal_of(developer).get(reverse("portal:application-detail", args=[app.pk]))
    assert page.context["subscriptions"]["rows"][0]["usage"]["today"] == 1


def test_the_catalogue_offers_subscribe_with_the_developers_own_apps(developer, colors):
    mine = ApplicationFactory(user=developer, name="Palette")
    theirs = ApplicationFactory(name="Someone else's app")

    page = portal_of(developer).get(reverse("portal:apis"))

    html = page.content.decode()
    assert "Subscribe your app" in html
    assert f'<option value="{mine.pk}">Palette</option>' in html
    assert "Someone else" not in html
    response = subscribe(developer, theirs, colors)
    assert response.status_code == 302
    assert not Subscription.objects.exists()


def test_subscribing_from_the_catalogue_shows_on_the_app_page(developer, colors, orders):
    app = ApplicationFactory(user=developer, name="Palette")
    portal = portal_of(developer)
    portal.post(reverse("portal:subscription-create", args=[colors.pk]), {"application": app.pk})
    portal.post(reverse("portal:application-subscribe", args=[app.pk]), {"api": orders.pk})

    page = portal.get(reverse("portal:application-detail", args=[app.pk]))

    statuses = {row["api"].name: row["status"] for row in page.context["subscriptions"]["rows"]}
    assert statuses == {"Colors API": "Approved", "Orders API": "Pending approval"}
    assert "Unsubscribe" in page.content.decode()
    created = AuditEvent.objects.filter(type=AuditEvent.Type.SUBSCRIBED)
    assert sorted(event.details["status"] for event in created) == ["approved", "pending"]


def test_subscribing_twice_is_refused_with_a_message(developer, colors):
    app = ApplicationFactory(user=developer)
    portal = portal_of(developer)
    url = reverse("portal:subscription-create", args=[colors.pk])
    portal.post(url, {"application": app.pk})

    response = portal.post(url, {"application": app.pk}, follow=True)

    assert "is already subscribed to Colors API" in response.content.decode()
    assert Subscription.objects.count() == 1


def test_another_developer_cannot_unsubscribe_my_app(developer, colors):
    app = ApplicationFactory(user=developer)
    subscribe(developer, app, colors)
    subscription = Subscription.objects.get()
    mallory = UserFactory(username="mallory")

    response = portal_of(mallory).post(
        reverse("portal:subscription-delete", args=[app.pk, subscription.pk])
    )

    assert response.status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_counting_a_call_costs_one_statement(developer, colors, user, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    app = ApplicationFactory(user=developer)
    browser = Client()
    browser.force_login(user)
    code, verifier = get_code(browser, app, scope="openid colors:read")
    bearer = f"Bearer {redeem(browser, app, code, verifier).json()['access_token']}"

    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer).status_code == 200
        return len(captured.captured_queries)

    statements()  # warm: the registry snapshot
    counted = statements()
    settings.PORTAL_API_USAGE_COUNTING = False
    assert counted == statements() + 1


def test_counts_are_written_in_batches(developer, colors, user, settings):
    """Between writes a call costs no statement; the next write carries every call since."""
    app, bearer = subscribed_app_and_bearer(developer, user, colors)
    Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer)  # written at once (interval 0)
    settings.PORTAL_API_USAGE_FLUSH_SECONDS = 3600
    Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer)
    Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer)
    app_page = reverse("portal:application-detail", args=[app.pk])

    usage = portal_of(developer).get(app_page).context["subscriptions"]["rows"][0]["usage"]
    assert usage["today"] == 1

    settings.PORTAL_API_USAGE_FLUSH_SECONDS = 0
    Client().get("/api/colors/", HTTP_AUTHORIZATION=bearer)
    usage = portal_of(developer).get(app_page).context["subscriptions"]["rows"][0]["usage"]
    assert usage["today"] == 4


def test_the_playground_offers_only_the_scopes_a_subscribed_app_may_ask_for(
    developer, colors, orders
):
    app = ApplicationFactory(user=developer)
    portal = portal_of(developer)
    portal.post(reverse("portal:application-subscribe", args=[app.pk]), {"api": colors.pk})
    portal.post(reverse("portal:application-subscribe", args=[app.pk]), {"api": orders.pk})

    offered = scope_names_for(app)
    assert {"openid", "colors:read", "colors:write"} <= set(offered)
    assert "orders:read" not in offered  # pending approval


def test_authorize_refuses_an_unsubscribed_apis_scope(developer, colors, orders, signed_in):
    app = ApplicationFactory(user=developer)
    subscribe(developer, app, colors)
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge=challenge, scope="openid orders:read")

    response = signed_in.get(authorize_url(params))

    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_scope"
    assert not AuditEvent.objects.filter(type=AuditEvent.Type.CODE_ISSUED).exists()
