"""One checked request per scenario before it is measured.

A misconfigured scenario (a wrong client, a token without the scope, a ceiling view listing
nothing) would otherwise be timed as a fast path that does no real work. Each check sends the
scenario's first item and looks at the effect, not just the status.
"""

import base64
import json
from urllib.parse import parse_qs

import requests

from bench.scenarios import SCENARIOS, Item, Scenario

TIMEOUT = 30
_API = next(scenario for scenario in SCENARIOS if scenario.key == "api")


def send(scenario: Scenario, item: Item, base_url: str) -> requests.Response:
    headers = {"Authorization": item.authorization} if item.authorization else {}
    if item.body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return requests.request(
        scenario.method,
        base_url + scenario.path,
        headers=headers,
        data=item.body or None,
        timeout=TIMEOUT,
        allow_redirects=False,
    )


def _jwt_header(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _id_token_signed(response: requests.Response, **_) -> str:
    algorithm = _jwt_header(response.json()["id_token"]).get("alg")
    return "" if algorithm == "RS256" else f"ID token signed with {algorithm!r}, not RS256"


def _token_gone(response: requests.Response, *, item: Item, base_url: str, **_) -> str:
    """A revoked token must stop working (revocation answers 200 whether or not it did)."""
    token = parse_qs(item.body)["token"][0]
    answer = send(_API, Item(f"Bearer {token}", ""), base_url)
    if answer.status_code != 401:
        return f"revoked token still gets HTTP {answer.status_code}"
    return ""


def _same_as_api(response: requests.Response, *, item: Item, base_url: str, **_) -> str:
    """The ceiling must serve what the bearer-protected view serves, or the ratio means nothing."""
    api = send(_API, item, base_url)
    return "" if response.json() == api.json() else "ceiling and API return different bodies"


EXTRA_CHECKS = {"code": _id_token_signed, "revoke": _token_gone, "ceiling": _same_as_api}


def preflight(scenario: Scenario, item: Item, *, state: dict, base_url: str) -> str:
    """Why the scenario's first request did not do what it should; empty when it did."""
    try:
        response = send(scenario, item, base_url)
        good_body = not scenario.expect_body or scenario.expect_body in response.text
        if response.status_code != scenario.expect_status or not good_body:
            return f"HTTP {response.status_code} {response.text[:200]!r}"
        extra = EXTRA_CHECKS.get(scenario.key)
        return extra(response, item=item, state=state, base_url=base_url) if extra else ""
    except (requests.RequestException, ValueError, KeyError) as exc:
        return f"{type(exc).__name__}: {exc}"
