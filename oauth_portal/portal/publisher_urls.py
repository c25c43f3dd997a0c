"""The API publishers' pages, under /portal/publish/ in the ``portal`` namespace."""

from django.urls import path

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
]
