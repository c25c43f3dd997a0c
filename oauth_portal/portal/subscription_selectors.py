"""What the portal shows about an app's environment and subscriptions, display-ready."""

from django.urls import reverse

from oauth_portal.server import app_settings as server_settings
from oauth_portal.server.api_usage import usage_by_api
from oauth_portal.server.clients import applications_for_owner
from oauth_portal.server.models import ApiResource, Application, Subscription

STATUS_BADGE = {
    Subscription.Status.PENDING: "badge-warn",
    Subscription.Status.APPROVED: "badge-ok",
    Subscription.Status.REJECTED: "badge-danger",
}


def application_environment(*, application: Application) -> dict:
    """The app's environment, its test users, and what it takes to go live."""
    sandbox = application.environment == Application.Environment.SANDBOX
    return {
        "sandbox": sandbox,
        "label": application.get_environment_display(),
        "testers": list(application.sandbox_testers.all()) if sandbox else [],
        "requested_at": application.production_requested_at,
        "approval_required": server_settings.PORTAL_PRODUCTION_REQUIRES_APPROVAL,
    }


def application_subscriptions(*, application: Application) -> dict:
    """The app's subscriptions with their status and real use, and the APIs it may still
    subscribe to. Two queries for the subscriptions and usage, one for the other APIs."""
    usage = usage_by_api(application=application)
    subscriptions = list(Subscription.objects.filter(application=application).select_related("api"))
    rows = [
        {
            "subscription": subscription,
            "api": subscription.api,
            "status": subscription.get_status_display(),
            "badge": STATUS_BADGE[subscription.status],
            "usage": usage.get(subscription.api_id, {"today": 0, "recent": 0, "last_call": None}),
        }
        for subscription in subscriptions
    ]
    subscribed = {subscription.api_id for subscription in subscriptions}
    return {
        "rows": rows,
        "available_apis": [api for api in ApiResource.objects.all() if api.pk not in subscribed],
    }


def application_access(*, application: Application) -> dict:
    """What the app page's environment and subscriptions sections show."""
    return {
        "environment": application_environment(application=application),
        "subscriptions": application_subscriptions(application=application),
    }


def catalogue_subscribe_options(*, owner, api_groups: list[dict]) -> None:
    """Put on each API group of the catalogue what its "Subscribe" form needs: the owner's apps
    not subscribed yet, and the status of those that are. Two queries, however many APIs."""
    apps = list(applications_for_owner(owner=owner))
    subscribed = {
        (application_id, api_id): status
        for application_id, api_id, status in Subscription.objects.filter(
            application__in=apps
        ).values_list("application_id", "api_id", "status")
    }
    for group in api_groups:
        api = group["api"]
        group["subscribe"] = {
            "url": reverse("portal:subscription-create", args=[api.pk]),
            "choices": [app for app in apps if (app.pk, api.pk) not in subscribed],
            "subscribed": [
                {
                    "application": app,
                    "status": Subscription.Status(subscribed[app.pk, api.pk]).label,
                }
                for app in apps
                if (app.pk, api.pk) in subscribed
            ],
            "has_apps": bool(apps),
        }
