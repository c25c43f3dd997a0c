"""The API publishers' pages, under /portal/publish/ in the ``portal`` namespace."""

from django.urls import path

from oauth_portal.portal import publisher_role_views as role_views
from oauth_portal.portal import publisher_views as views

urlpatterns = [
    path("publish/", views.PublisherApiListView.as_view(), name="publisher-apis"),
    path("publish/new/", views.PublisherApiSubmitView.as_view(), name="publisher-api-submit"),
    path("publish/<int:pk>/", views.PublisherApiDetailView.as_view(), name="publisher-api"),
    path(
        "publish/<int:pk>/details/",
        views.PublisherApiUpdateView.as_view(),
        name="publisher-api-update",
    ),
    path(
        "publish/<int:pk>/scopes/",
        views.PublisherScopeAddView.as_view(),
        name="publisher-scope-add",
    ),
    path(
        "publish/<int:pk>/scopes/<int:scope_id>/disable/",
        views.PublisherScopeDisableView.as_view(),
        name="publisher-scope-disable",
    ),
    path(
        "publish/<int:pk>/scopes/<int:scope_id>/enable/",
        views.PublisherScopeEnableView.as_view(),
        name="publisher-scope-enable",
    ),
    path(
        "publish/<int:pk>/scopes/<int:scope_id>/delete/",
        views.PublisherScopeDeleteView.as_view(),
        name="publisher-scope-delete",
    ),
    path(
        "publish/<int:pk>/operations/",
        views.PublisherOperationAddView.as_view(),
        name="publisher-operation-add",
    ),
    path(
        "publish/<int:pk>/operations/<int:operation_id>/delete/",
        views.PublisherOperationDeleteView.as_view(),
        name="publisher-operation-delete",
    ),
    path(
        "publish/<int:pk>/subscriptions/<int:subscription_id>/<str:decision>/",
        views.PublisherSubscriptionDecideView.as_view(),
        name="publisher-subscription-decide",
    ),
    path(
        "publish/<int:pk>/roles/", role_views.PublisherRolesView.as_view(), name="publisher-roles"
    ),
    path(
        "publish/<int:pk>/roles/add/",
        role_views.PublisherRoleAddView.as_view(),
        name="publisher-role-add",
    ),
    path(
        "publish/<int:pk>/roles/<int:role_id>/delete/",
        role_views.PublisherRoleDeleteView.as_view(),
        name="publisher-role-delete",
    ),
    path(
        "publish/<int:pk>/roles/<int:role_id>/permissions/",
        role_views.PublisherRolePermissionsView.as_view(),
        name="publisher-role-permissions",
    ),
    path(
        "publish/<int:pk>/roles/<int:role_id>/members/",
        role_views.PublisherRoleAssignView.as_view(),
        name="publisher-role-assign",
    ),
    path(
        "publish/<int:pk>/roles/<int:role_id>/members/<int:member_id>/remove/",
        role_views.PublisherRoleUnassignView.as_view(),
        name="publisher-role-unassign",
    ),
    path(
        "publish/<int:pk>/claims/",
        role_views.PublisherClaimAddView.as_view(),
        name="publisher-claim-add",
    ),
    path(
        "publish/<int:pk>/claims/<int:claim_id>/delete/",
        role_views.PublisherClaimDeleteView.as_view(),
        name="publisher-claim-delete",
    ),
]
