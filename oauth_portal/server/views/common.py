"""Responses every protocol view shares: our error page, JSON labels, public documents."""

from urllib.parse import parse_qs, urlsplit

from django.http import JsonResponse
from django.shortcuts import render

INVALID_CLIENT_BODY = {
    "error": "invalid_client",
    "error_description": "Client authentication failed: send the client id and secret "
    "(HTTP Basic, or client_id and client_secret in the body).",
}


# The consent page, errors included. Ours, not DOT's oauth2_provider/authorize.html: a name no
# installed app shadows, whatever the order of INSTALLED_APPS.
CONSENT_TEMPLATE = "oauth_portal/server/authorize.html"


def labelled_as_json(response):
    """oauthlib raises some errors before it sets its JSON headers, and DOT copies none: such a
    JSON body would go out as text/html (RFC 6749 §5.2 and RFC 6750 §3 want application/json)."""
    if response.get("Content-Type", "").startswith("text/html") and response.content[:1] == b"{":
        response["Content-Type"] = "application/json"
    return response


def authorize_error_page(request, *, error: str, description: str, status: int = 400):
    """The consent page's error card, for requests we refuse without redirecting anywhere."""
    context = {"error": {"error": error, "description": description}}
    return render(request, CONSENT_TEMPLATE, context, status=status)


def invalid_consent_form(request):
    """A consent form whose hidden fields were changed, or are missing: never follow it."""
    return authorize_error_page(
        request,
        error="invalid_request",
        description="This sign-in request was changed or is incomplete. "
        "Go back to the app and start again.",
    )


def unavailable_app_page(request, application):
    """A pending app (other users than its developer), a sandbox app (other users than its
    developer and test users) or a suspended one: no sign-in, and a page that says so in plain
    words (the protocol's ``unauthorized_client`` only in small print, for the developer)."""
    suspended = application.status == application.Status.SUSPENDED
    sandbox = (
        not suspended
        and application.status != application.Status.PENDING
        and application.environment == application.Environment.SANDBOX
    )
    context = {
        "application": application,
        "suspended": suspended,
        "sandbox": sandbox,
        "state": "suspended"
        if suspended
        else "still being tested"
        if sandbox
        else ("not available yet"),
        "error_code": "unauthorized_client",
    }
    return render(request, "oauth_portal/server/app_unavailable.html", context, status=403)


def repeated_parameters(params, *, allowed=("resource",)) -> list[str]:
    """RFC 6749 §3.1/§3.2: request parameters must not be included more than once."""
    return [key for key, values in params.lists() if len(values) > 1 and key not in allowed]


def query_params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def public_json_document(document: dict) -> JsonResponse:
    """Discovery documents are public: any origin may read them."""
    response = JsonResponse(document)
    response["Access-Control-Allow-Origin"] = "*"
    return response
