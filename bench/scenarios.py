"""The scenarios `make bench` measures, and the requests each one sends.

A scenario sends one request shape over and over; what changes between requests is an
``Item``: the ``Authorization`` header and the form body. Single-use scenarios (a code, a
refresh token, a token to revoke) get a fresh item per request, minted just before they run.
"""

import base64
from dataclasses import dataclass
from urllib.parse import quote, urlencode

CEILING_PATH = "/bench/colors-noauth/"
OPEN_PATH = "/bench/open/"


@dataclass(frozen=True)
class Item:
    authorization: str  # the whole Authorization header value; "" sends none
    body: str  # an application/x-www-form-urlencoded body; "" for a GET


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    method: str
    path: str
    # The kind of single-use item bench.prepare mints for it; None when items may be reused.
    pool: str | None
    # A response counts as good only with this status and, when set, this text in its body:
    # introspection answers 200 even for a dead token, so the status alone proves nothing.
    expect_body: str
    expect_status: int = 200


SCENARIOS = (
    Scenario("code", "code exchange (PKCE, basic, ID token)", "POST", "/o/token/",
             pool="codes", expect_body='"id_token"'),
    Scenario("refresh", "refresh-token rotation", "POST", "/o/token/",
             pool="refresh", expect_body='"refresh_token"'),
    Scenario("client_credentials", "client credentials", "POST", "/o/token/",
             pool=None, expect_body='"access_token"'),
    Scenario("introspect", "introspection", "POST", "/o/introspect/",
             pool=None, expect_body='"active": true'),
    Scenario("revoke", "revocation", "POST", "/o/revoke_token/",
             pool="revoke", expect_body=""),
    Scenario("api", "GET /api/colors/ (bearer)", "GET", "/api/colors/",
             pool=None, expect_body='"hex"'),
    Scenario("api_jwt", "GET /api/colors/ (JWT bearer)", "GET", "/api/colors/",
             pool=None, expect_body='"hex"'),
    Scenario("ceiling", "same view, no auth (ceiling)", "GET", CEILING_PATH,
             pool=None, expect_body='"hex"'),
    Scenario("open", "open view (no auth, no query)", "GET", OPEN_PATH,
             pool=None, expect_body='"open"'),
)  # fmt: skip


def select(keys: str) -> list[Scenario]:
    """The scenarios named in a comma-separated list (all when empty), in the table's order."""
    wanted = {key.strip() for key in keys.split(",") if key.strip()}
    unknown = wanted - {scenario.key for scenario in SCENARIOS}
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return [scenario for scenario in SCENARIOS if not wanted or scenario.key in wanted]


def basic_auth(client: dict) -> str:
    """``client_secret_basic`` (RFC 6749 §2.3.1): both parts form-encoded, then base64."""
    pair = f"{quote(client['client_id'], safe='')}:{quote(client['client_secret'], safe='')}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")


def _code_item(state: dict, entry: dict) -> Item:
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": entry["code"],
            "redirect_uri": state["redirect_uri"],
            "code_verifier": entry["verifier"],
        }
    )
    return Item(basic_auth(state["web"]), body)


def items_for(scenario: Scenario, state: dict, minted: list[dict]) -> list[Item]:
    """The requests' varying parts, from bench.prepare's state and (if single-use) minted items."""
    web, service = basic_auth(state["web"]), basic_auth(state["service"])
    if scenario.key == "code":
        return [_code_item(state, entry) for entry in minted]
    if scenario.key == "refresh":
        body = {"grant_type": "refresh_token"}
        return [Item(web, urlencode({**body, "refresh_token": e["refresh_token"]})) for e in minted]
    if scenario.key == "revoke":
        hint = {"token_type_hint": "access_token"}
        return [Item(web, urlencode({"token": e["token"], **hint})) for e in minted]
    if scenario.key == "client_credentials":
        body = urlencode({"grant_type": "client_credentials", "scope": state["service_scope"]})
        return [Item(service, body)]
    if scenario.key == "introspect":
        return [Item(service, urlencode({"token": token})) for token in state["introspect_tokens"]]
    if scenario.key == "api_jwt":
        return [Item(f"Bearer {token}", "") for token in state["jwt_api_tokens"]]
    # api, ceiling and the open view send the very same requests; the last two ignore the header.
    return [Item(f"Bearer {token}", "") for token in state["api_tokens"]]
