"""Racing polls with one allowed device code (RFC 8628): exactly one gets tokens, the others
``invalid_grant``, never a 500, on a real gunicorn (4 workers x 2 threads) over SQLite and
PostgreSQL.

The token view runs in one transaction; ``device_flow.device_grant_poll`` locks the grant's row
and the validator deletes it as it saves the tokens, so the losers queue behind the winner and
then find no such code.
"""

import time

import pytest
import requests

from tests.concurrency.protocol import HTTP_TIMEOUT, RACERS, browser_signed_in, race
from tests.concurrency.servers import VENDOR_FIXTURES, manage, server_start
from tests.e2e.protocol_helpers import hidden_inputs, ticked_checkboxes
from tests.gunicorn_servers import server_stop

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CLIENT_ID = "race-tv"


@pytest.fixture(scope="module", params=list(VENDOR_FIXTURES))
def deployment(request, log_dir):
    database = request.getfixturevalue(VENDOR_FIXTURES[request.param])
    manage(
        database.environment,
        "shell",
        "-c",
        "from oauth_portal.server.models import Application; "
        f"Application.objects.filter(client_id={DEVICE_CLIENT_ID!r}).delete(); "
        f"Application.objects.create(client_id={DEVICE_CLIENT_ID!r}, name='Race TV', "
        f"client_type='public', authorization_grant_type={DEVICE_GRANT!r}, algorithm='RS256')",
    )
    server = server_start(database, log_dir, workers=4, threads=2)
    request.addfinalizer(lambda: server_stop(server))
    return server


def device_allowed(url: str) -> dict:
    """Codes for the device, allowed by alice on the verification page."""
    codes = requests.post(
        f"{url}/o/device-authorization/",
        data={"client_id": DEVICE_CLIENT_ID, "scope": "openid colors:read"},
        timeout=HTTP_TIMEOUT,
    ).json()
    browser = browser_signed_in(url)
    page = browser.get(f"{url}/o/device/", timeout=HTTP_TIMEOUT)
    headers = {"Referer": f"{url}/o/device/"}
    consent = browser.post(
        f"{url}/o/device/",
        data={**hidden_inputs(page.text), "user_code": codes["user_code"]},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )
    assert consent.status_code == 200, consent.text[:500]
    fields = [*hidden_inputs(consent.text, "consent-form").items()]
    fields += [*ticked_checkboxes(consent.text, "consent-form"), ("allow", "true")]
    done = browser.post(f"{url}/o/device/decide/", data=fields, headers=headers, timeout=15)
    assert "Return to your device" in done.text, done.text[:500]
    return codes


def test_racing_polls_with_one_allowed_device_code_give_exactly_one_token_response(deployment):
    log_start = deployment.log_size()
    codes = device_allowed(deployment.url)
    time.sleep(codes["interval"])

    def poll():
        return requests.post(
            f"{deployment.url}/o/token/",
            data={
                "grant_type": DEVICE_GRANT,
                "client_id": DEVICE_CLIENT_ID,
                "device_code": codes["device_code"],
            },
            timeout=HTTP_TIMEOUT,
        )

    answers = race(poll)
    summary = sorted((answer.status, answer.error) for answer in answers)
    print(f"{RACERS} racers answered: {summary}")
    assert [answer.status for answer in answers].count(200) == 1, summary
    assert sorted(summary)[1:] == [(400, "invalid_grant")] * (RACERS - 1), summary
    assert "Traceback" not in deployment.log_since(log_start)
