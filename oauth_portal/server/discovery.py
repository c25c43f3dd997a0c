"""What both discovery documents (OpenID discovery and RFC 8414 metadata) say about the
standards clients now expect: dynamic registration, the response modes and prompts we really
support, and the human-readable links. One dict merged into each document, so other features
add their own keys beside it without touching these.
"""

from django.shortcuts import resolve_url
from django.urls import NoReverseMatch

from oauth_portal.server import app_settings
from oauth_portal.server.response_modes import SUPPORTED_RESPONSE_MODES


def absolute_link(request, setting_name: str) -> str | None:
    """The page a setting names (URL name, path or absolute URL), absolute; None when unset or
    naming nothing on this site."""
    target = getattr(app_settings, setting_name)
    if not target:
        return None
    try:
        return request.build_absolute_uri(resolve_url(target))
    except NoReverseMatch:
        return None


def standards_metadata(request, endpoint_url) -> dict:
    """The keys to merge; ``endpoint_url(request, name)`` is DOT's URL builder (issuer-aware).

    ``request_uri`` and ``request`` objects are refused at the authorization endpoint (JAR and
    PAR are not offered), so both flags say false. ``op_policy_uri`` and ``op_tos_uri`` are
    listed only when the operator names the pages.
    """
    document = {
        "registration_endpoint": endpoint_url(request, "dcr-register"),
        "response_modes_supported": list(SUPPORTED_RESPONSE_MODES),
        "prompt_values_supported": ["none", "login", "consent"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
    for key, setting_name in (
        ("service_documentation", "PORTAL_SERVICE_DOCUMENTATION_URL"),
        ("op_policy_uri", "PORTAL_OP_POLICY_URL"),
        ("op_tos_uri", "PORTAL_OP_TOS_URL"),
    ):
        link = absolute_link(request, setting_name)
        if link:
            document[key] = link
    return {key: value for key, value in document.items() if value is not None}
