"""``/metrics``: Prometheus text for the addresses (or bearer secret) the operator allows."""

import hmac
import ipaddress

from django.http import HttpResponse
from django.views import View

from oauth_portal.audit.client_address import client_ip_address
from oauth_portal.observability import app_settings, metrics


def scrape_allowed(request) -> bool:
    """The scraper's address is in ``PORTAL_METRICS_ALLOWED_NETWORKS`` (the address as the
    trusted-proxy rule resolves it, so a client cannot claim one through X-Forwarded-For), or
    it sends the configured bearer secret."""
    secret = app_settings.PORTAL_METRICS_BEARER_TOKEN
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if secret and authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization[7:].encode(), secret.encode())
    address = client_ip_address(request.META)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(network, strict=False)
        for network in app_settings.PORTAL_METRICS_ALLOWED_NETWORKS
    )


class MetricsView(View):
    def get(self, request):
        if not scrape_allowed(request):
            return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
        body, content_type = metrics.exposition()
        response = HttpResponse(body, content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response
