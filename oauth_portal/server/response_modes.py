"""How the authorization response reaches the client: ``response_mode`` (OAuth 2.0 Multiple
Response Type Encoding Practices, and the OAuth 2.0 Form Post Response Mode).

``query`` (the default for ``code``) and ``fragment`` are oauthlib's; ``form_post`` is ours: the
same response, sent as an HTML form that posts itself to the redirect URI (a small script from
our own origin, allowed by the CSP; without JavaScript the user presses Continue). Any other
mode, and request objects (``request``, ``request_uri``) we do not support, get our error page:
never a redirect in a mode the client did not ask for.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.shortcuts import render

SUPPORTED_RESPONSE_MODES = ("query", "fragment", "form_post")
FORM_POST = "form_post"
# The parameters an authorization response adds to the redirect URI (RFC 6749 §4.1.2, §4.1.2.1;
# RFC 9207). The rest of the query belongs to the registered URI and stays in the form's action.
RESPONSE_PARAMETERS = frozenset(
    {"code", "state", "iss", "error", "error_description", "error_uri", "session_state"}
)
UNSUPPORTED_REQUEST_PARAMETERS = {
    "request": ("request_not_supported", "Request objects (request=) are not supported here."),
    "request_uri": (
        "request_uri_not_supported",
        "Request objects by reference (request_uri=) are not supported here.",
    ),
}


def request_refusal(params) -> tuple[str, str] | None:
    """``(error, description)`` for an authorization request asking what we do not offer."""
    for name, refusal in UNSUPPORTED_REQUEST_PARAMETERS.items():
        if name in params:
            return refusal
    mode = params.get("response_mode")
    if mode is not None and mode not in SUPPORTED_RESPONSE_MODES:
        return (
            "invalid_request",
            "Unsupported response_mode; use one of " + ", ".join(SUPPORTED_RESPONSE_MODES) + ".",
        )
    return None


def form_post_response(request, location: str, *, application_name: str = ""):
    """The authorization response in ``location`` (a query redirect), as a self-posting form.

    The page carries a code or an error for one client: never cached, never framed.
    """
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    fields = [(name, value) for name, value in query if name in RESPONSE_PARAMETERS]
    kept = urlencode([(name, value) for name, value in query if name not in RESPONSE_PARAMETERS])
    action = urlunsplit((parts.scheme, parts.netloc, parts.path, kept, ""))
    context = {"action": action, "fields": fields, "application_name": application_name}
    response = render(request, "oauth_portal/server/form_post.html", context)
    response["Cache-Control"] = "no-store"
    return response
