"""RFC 9728 protected-resource metadata, through the hooks of DOT's view (one document per
API in the registry; the rule for which paths answer is in ``resource_metadata.py``)."""

from django.http import JsonResponse
from oauth2_provider.views import OAuthProtectedResourceMetadataView

from oauth_portal.server import input_rules, resource_metadata
from oauth_portal.server.discovery import absolute_link


class ProtectedResourceMetadataView(OAuthProtectedResourceMetadataView):
    hostile_input_rule = input_rules.OAUTH_JSON
    http_method_names = ["get", "head", "options"]

    def get(self, request, *args, resource_path: str = "", **kwargs):
        self.api = resource_metadata.api_described_at(request, resource_path)
        if self.api is None:
            response = JsonResponse(
                {"error": "not_found", "error_description": "No protected resource here."},
                status=404,
            )
            response["Access-Control-Allow-Origin"] = "*"
            return response
        self.documentation = absolute_link(request, "PORTAL_RESOURCE_DOCUMENTATION_URL")
        return super().get(request, *args, **kwargs)

    def get_resource(self, request):
        return self.api.identifier

    def get_authorization_servers(self, request):
        return resource_metadata.authorization_servers(request)

    def get_scopes_supported(self):
        return resource_metadata.scopes_of(self.api)

    def get_bearer_methods_supported(self):
        return resource_metadata.BEARER_METHODS

    def get_resource_name(self):
        return self.api.name

    def get_resource_documentation(self):
        return self.documentation or ""

    def get_resource_policy_uri(self):
        return ""

    def get_resource_tos_uri(self):
        return ""
