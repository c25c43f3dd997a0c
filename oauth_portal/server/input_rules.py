"""How a view wants hostile input refused before it runs, read by ``HostileInputMiddleware``.

A view class carries its rule as ``hostile_input_rule`` (as ``csrf_exempt`` marks a view), so
the refusal follows the view wherever a host mounts it, not a path prefix.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class InputRule:
    # Refusals as our error page (a browser is reading), or else as RFC 6749 error JSON.
    html: bool = False
    # A NUL in any parameter is refused (OAuth parameters are printable ASCII or URIs: RFC 6749
    # Appendix A); otherwise only in those the view looks up as sent (PostgreSQL refuses a NUL).
    nul_anywhere: bool = True
    # A NUL in the client id (body or HTTP Basic) is a failed client authentication: 401.
    client_endpoint: bool = False


OAUTH_JSON = InputRule()
OAUTH_PAGE = InputRule(html=True)
CLIENT_ENDPOINT = InputRule(client_endpoint=True)
# Introspection stores nothing and must answer an unauthenticated client 401 first: there a NUL
# token is simply not found.
INTROSPECTION = InputRule(client_endpoint=True, nul_anywhere=False)
# Sign-in and sign-up pages: only the values looked up as sent are refused.
SIGN_IN = InputRule(html=True, nul_anywhere=False)
