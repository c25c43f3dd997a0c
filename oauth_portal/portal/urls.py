"""The developer portal's pages under /portal/ (namespace ``portal``)."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from oauth_portal.portal import playground_service_views, publisher_urls, subscription_views
from oauth_portal.portal import playground_views as playground_views
from oauth_portal.portal import views as views

# Loaded with the URLconf, before any schema is generated: the OpenAPI extension for our scopes.
from oauth_portal.portal.openapi import PortalOAuth2Scheme  # noqa: F401

app_name = "portal"


class SwaggerOAuth2RedirectView(RedirectView):
    """Swagger UI's OAuth redirect page, where it expects it (next to the docs page).

    The page itself is drf-spectacular-sidecar's static file; the query carries the code.
    """

    query_string = True

    def get_redirect_url(self, *args, **kwargs):
        self.url = static("drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.html")
        return super().get_redirect_url(*args, **kwargs)


urlpatterns = [
    path("", views.PortalIndexView.as_view(), name="index"),
    path("apps/new/", views.ApplicationRegisterView.as_view(), name="application-register"),
    path("apps/<int:pk>/", views.ApplicationDetailView.as_view(), name="application-detail"),
    path(
        "apps/<int:pk>/settings/", views.ApplicationUpdateView.as_view(), name="application-update"
    ),
    path(
        "apps/<int:pk>/secret/rotate/", views.ClientSecretRotateView.as_view(), name="secret-rotate"
    ),
    path(
        "apps/<int:pk>/secrets/<int:secret_id>/delete/",
        views.ClientSecretPreviousDeleteView.as_view(),
        name="secret-delete",
    ),
    path(
        "apps/<int:pk>/playground/", views.PlaygroundToggleView.as_view(), name="playground-toggle"
    ),
    path("apps/<int:pk>/delete/", views.ApplicationDeleteView.as_view(), name="application-delete"),
    path(
        "apps/<int:pk>/testers/",
        subscription_views.SandboxTesterAddView.as_view(),
        name="sandbox-tester-add",
    ),
    path(
        "apps/<int:pk>/testers/<int:tester_id>/delete/",
        subscription_views.SandboxTesterRemoveView.as_view(),
        name="sandbox-tester-remove",
    ),
    path(
        "apps/<int:pk>/production/",
        subscription_views.ProductionRequestView.as_view(),
        name="production-request",
    ),
    path(
        "apps/<int:pk>/subscriptions/",
        subscription_views.ApplicationSubscribeView.as_view(),
        name="application-subscribe",
    ),
    path(
        "apps/<int:pk>/subscriptions/<int:subscription_id>/delete/",
        subscription_views.SubscriptionDeleteView.as_view(),
        name="subscription-delete",
    ),
    path(
        "apis/<int:api_pk>/subscribe/",
        subscription_views.SubscriptionCreateView.as_view(),
        name="subscription-create",
    ),
    path("playground/", playground_views.PlaygroundView.as_view(), name="playground"),
    path(
        "playground/callback",
        playground_views.PlaygroundCallbackView.as_view(),
        name="playground-callback",
    ),
    path(
        "playground/exchange/",
        playground_views.PlaygroundExchangeView.as_view(),
        name="playground-exchange",
    ),
    path(
        "playground/refresh/",
        playground_views.PlaygroundRefreshView.as_view(),
        name="playground-refresh",
    ),
    path(
        "playground/revoke/",
        playground_views.PlaygroundRevokeView.as_view(),
        name="playground-revoke",
    ),
    path(
        "playground/client-credentials/",
        playground_service_views.PlaygroundClientCredentialsView.as_view(),
        name="playground-client-credentials",
    ),
    path("apis/", views.ApiCatalogueView.as_view(), name="apis"),
    path("apis/openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path(
        "apis/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="portal:api-schema"),
        name="api-docs",
    ),
    path(
        "apis/docs/oauth2-redirect.html",
        SwaggerOAuth2RedirectView.as_view(),
        name="api-docs-oauth2-redirect",
    ),
]

# API publishers' pages (/portal/publish/).
urlpatterns += publisher_urls.urlpatterns
