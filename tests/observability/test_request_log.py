"""One JSON line per request and per audit event, with a request id; never a credential."""

import io
import json
import logging

import pytest
from django.test import Client

from oauth_portal.observability.logs import JSON_FORMATTER, RequestIdFilter
from tests.factories import ApplicationFactory
from tests.oauth_helpers import CLIENT_SECRET, basic_auth

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """The lines our JSON formatter writes for the request and audit loggers, parsed."""
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    options = {key: value for key, value in JSON_FORMATTER.items() if key != "()"}
    handler.setFormatter(JsonFormatter(options.pop("format"), **options))
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger("oauth_portal.request"), logging.getLogger("oauth_portal.audit")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def read():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def token_request(**headers):
    app = ApplicationFactory(authorization_grant_type="client-credentials", redirect_uris="")
    response = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "colors:read"},
        HTTP_AUTHORIZATION=basic_auth(app.client_id),
        **headers,
    )
    return app, response


def test_a_token_request_logs_one_json_line_with_its_request_id(json_lines):
    app, response = token_request()

    requests = [line for line in json_lines() if line.get("event") == "request"]
    assert len(requests) == 1
    line = requests[0]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["endpoint"] == "oauth2_provider:token"
    assert line["method"] == "POST"
    assert line["status"] == 200
    assert line["client_id"] == app.client_id
    assert line["duration_ms"] > 0
    assert line["level"] == "INFO"


def test_the_audit_event_goes_to_the_same_stream_with_the_same_request_id(json_lines):
    app, response = token_request()

    audits = [line for line in json_lines() if line.get("event") == "audit"]
    assert [line["audit_type"] for line in audits] == ["token.issued"]
    assert audits[0]["request_id"] == response["X-Request-ID"]
    assert audits[0]["audit_client_id"] == app.client_id
    assert audits[0]["details"]["grant_type"] == "client_credentials"


def test_no_line_holds_the_token_or_the_secret(json_lines):
    _, response = token_request()
    token = response.json()["access_token"]

    text = json.dumps(json_lines())
    assert token not in text
    assert CLIENT_SECRET not in text


def test_the_proxys_request_id_is_kept_and_a_hostile_one_replaced(json_lines):
    _, kept = token_request(HTTP_X_REQUEST_ID="nginx-3f2a.91")
    _, replaced = token_request(HTTP_X_REQUEST_ID='x" injected="1\n')

    assert kept["X-Request-ID"] == "nginx-3f2a.91"
    assert replaced["X-Request-ID"] != 'x" injected="1\n'
    assert len(replaced["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in json_lines() if line.get("event") == "request"]
    assert ids == ["nginx-3f2a.91", replaced["X-Request-ID"]]
