"""Which scopes and which APIs (RFC 8707 audiences) a client may ask for: the allow-list and the
app's API subscriptions, in one query each, read fresh on every token request (or, for the
scopes without a user, kept while nothing they depend on has changed: ``client_memo``).

- An app with no subscription keeps the allow-list rule: its ``allowed_scopes``, or every
  active scope when the list is empty (``createapplication``'s apps run the whole flow).
- An app with at least one subscription (any status) may ask for the OpenID scopes its
  allow-list permits (all of them when it is empty) plus every active scope of the APIs its
  approved subscriptions name. Subscriptions replace the loose API scopes: a scope of an API
  it is not subscribed to is ``invalid_scope``, its identifier ``invalid_target``.
- An API whose subscriptions need approval (``ApiResource.subscription_requires_approval``) is
  reachable only through an approved subscription, whatever the allow-list says: otherwise a
  developer could tick its scope in the portal and skip the approval.
- An API still pending publication (``publishing.GRANTABLE_SCOPES``) is never available.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery, Value

from oauth_portal.db import compiled_queries
from oauth_portal.server import client_memo, roles
from oauth_portal.server.models import ApiResource, Application, Scope, Subscription
from oauth_portal.server.offline_access import OFFLINE_ACCESS
from oauth_portal.server.publishing import GRANTABLE_SCOPES

APPROVED = Subscription.Status.APPROVED


@dataclass(frozen=True)
class _Row:
    """One scope (or API) with what the allow-list and the subscriptions say about it."""

    listed: bool  # on the app's allow-list
    has_list: bool  # the app has an explicit allow-list at all
    subscription: str | None  # this API's subscription status, if any
    subscribed_any: bool  # the app has any subscription
    requires_approval: bool

    def api_allowed(self) -> bool:
        if self.subscribed_any or self.requires_approval:
            return self.subscription == APPROVED
        return self.listed or not self.has_list


def _app_annotations(application, *, api_ref: str, listed) -> dict:
    allow_list = Application.allowed_scopes.through.objects.filter(application_id=application.pk)
    subscriptions = Subscription.objects.filter(application_id=application.pk)
    return {
        "listed": listed,
        "has_list": Exists(allow_list),
        # Unordered: an app has one subscription per API, and Subscription's default order
        # (by the API's name) joined the API's table for every scope the query reads.
        "subscription": Subquery(
            subscriptions.filter(api=OuterRef(api_ref)).order_by().values("status")[:1]
        ),
        "subscribed_any": Exists(subscriptions),
    }


def _scope_rows(*, application_id: int, user_id: int | None = None):
    """Every active scope with what the allow-list, the subscriptions and (with a user) the
    roles say about it; compiled once per process (``compiled_queries``)."""
    allow_list = Application.allowed_scopes.through.objects.filter(application_id=application_id)
    return (
        Scope.objects.filter(GRANTABLE_SCOPES)
        .annotate(
            **_app_annotations(
                Application(pk=application_id),
                api_ref="api_id",
                listed=Exists(allow_list.filter(scope_id=OuterRef("pk"))),
            ),
            withheld=roles.withheld_by_roles(user_id) if user_id is not None else Value(False),
        )
        .values_list(
            "name",
            "api_id",
            "api__subscription_requires_approval",
            "listed",
            "has_list",
            "subscription",
            "subscribed_any",
            "withheld",
        )
    )


def scopes_available_to(application) -> list[str]:
    """The active scopes ``application`` may ask for (see the module's rules). One query."""
    return scopes_available_and_withheld(application, user=None)[0]


def scopes_available_and_withheld(application, *, user) -> tuple[list[str], set[str]]:
    """The active scopes ``application`` may ask for, and of all active scopes those that
    ``user``'s roles do not permit (``roles.withheld_by_roles``; none without a user): what a
    token request re-checks on every redemption and refresh, in one query instead of two."""
    if user is None:
        rows = client_memo.recall("scopes", application.pk)
        if rows is client_memo.MISSING:
            rows = compiled_queries.rows("scopes", _scope_rows, application_id=application.pk)
            client_memo.keep("scopes", application.pk, tuple(rows))
    else:
        rows = compiled_queries.rows(
            "scopes-for-user", _scope_rows, application_id=application.pk, user_id=user.pk
        )
    available, withheld_scopes = [], set()
    for name, api_id, requires, listed, has_list, subscription, subscribed_any, withheld in rows:
        if withheld:
            withheld_scopes.add(name)
        row = _Row(listed, has_list, subscription, subscribed_any, bool(requires))
        if api_id is None:
            # offline_access is every app's to ask for: the user decides on the consent page.
            allowed = listed or not has_list or name == OFFLINE_ACCESS
        else:
            allowed = row.api_allowed()
        if allowed:
            available.append(name)
    return available, withheld_scopes


def resources_available_to(application) -> set[str]:
    """API identifiers ``application`` may ask a token for: the APIs of the scopes it may ask
    for under the allow-list (every API when the list is empty), or its approved subscriptions.
    One query."""
    listed_scopes = Scope.objects.filter(api=OuterRef("pk"), applications=application.pk)
    rows = (
        ApiResource.objects.filter(status=ApiResource.Status.PUBLISHED)
        .annotate(**_app_annotations(application, api_ref="pk", listed=Exists(listed_scopes)))
        .values_list(
            "identifier",
            "subscription_requires_approval",
            "listed",
            "has_list",
            "subscription",
            "subscribed_any",
        )
    )
    return {
        identifier
        for identifier, requires, listed, has_list, subscription, subscribed_any in rows
        if _Row(listed, has_list, subscription, subscribed_any, requires).api_allowed()
    }
