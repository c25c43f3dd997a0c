"""The playground's machine-to-machine run: the client-credentials grant at our token endpoint,
then the Colors API with the token, over real HTTP as a developer's service would call them.

The rules of ``oauth_portal.portal.playground`` hold: every call goes to ``internal_url`` (the
configured base URL or pinned issuer, never the request's Host header), and the client secret
is used for the one token request, shown masked, never kept or logged.
"""

from django.views.decorators.debug import sensitive_variables

from oauth_portal.portal import playground
from oauth_portal.portal.playground import HttpExchange


@sensitive_variables("client_secret")
def client_credentials_token(
    *, request, application, scopes: list[str], client_secret: str
) -> HttpExchange:
    """Ask our token endpoint for a token for ``application`` itself (RFC 6749 §4.4)."""
    return playground._client_post(
        url=playground.internal_url(request, "oauth2_provider:token"),
        application=application,
        body={"grant_type": "client_credentials", "scope": " ".join(scopes)},
        client_secret=client_secret,
    )


def api_get(*, request, url_name: str, access_token: str) -> HttpExchange:
    """GET one of our API endpoints with the access token, as an API consumer would."""
    exchange = HttpExchange(
        method="GET",
        url=playground.internal_url(request, url_name),
        headers=[("Authorization", f"Bearer {access_token}"), ("Accept", "application/json")],
    )
    return playground._send(exchange)


def service_api_calls(*, request, access_token: str) -> list[tuple[str, HttpExchange]]:
    """What a service token may and may not do at the Colors API: the shared palettes (200 with
    ``colors:read``), and a user's colors (refused: the token acts for nobody)."""
    return [
        ("palettes", api_get(request=request, url_name="apis:palettes", access_token=access_token)),
        ("colors", api_get(request=request, url_name="apis:colors", access_token=access_token)),
    ]
