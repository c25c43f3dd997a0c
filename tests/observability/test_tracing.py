"""OpenTelemetry tracing (the otel extra): a request becomes a span named by its route, and no
query string reaches a span.

Instrumenting Django is process-wide, so the traced server runs in a subprocess of its own."""

import json
import subprocess
import sys

import pytest

from tests.site.settings_helpers import PROJECT_ROOT, clean_env

pytest.importorskip("opentelemetry.sdk")

TRACED_REQUESTS = """
import json, django
django.setup()
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from oauth_portal.observability.tracing import tracing_start
exporter = InMemorySpanExporter()
assert tracing_start(exporter=exporter)
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
Client().get("/o/logout/?id_token_hint=eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln")
Client().get("/o/.well-known/openid-configuration")
print(json.dumps([
    {"name": span.name, "parent": span.parent.span_id if span.parent else None,
     "id": span.context.span_id, "attributes": {k: str(v) for k, v in span.attributes.items()}}
    for span in exporter.get_finished_spans()
]))
"""


@pytest.fixture(scope="module")
def spans(tmp_path_factory):
    database = tmp_path_factory.mktemp("tracing") / "db.sqlite3"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"sqlite:///{database}",
        PORTAL_MAIL_IN_BACKGROUND="0",
    )
    result = subprocess.run(
        [sys.executable, "-c", TRACED_REQUESTS],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_each_request_is_a_span_named_by_its_route(spans):
    routes = {span["attributes"].get("http.route") for span in spans if span["parent"] is None}
    assert "o/logout/" in routes
    assert any("openid-configuration" in (route or "") for route in routes)
    assert "GET o/logout/" in {span["name"] for span in spans}


def test_no_query_string_reaches_a_span(spans):
    logout = next(span for span in spans if span["name"] == "GET o/logout/")
    assert logout["attributes"]["http.url"] == "/o/logout/"  # the path, without the query
    text = json.dumps(spans)
    assert "id_token_hint" not in text
    assert "c2VjcmV0LXRva2Vu" not in text
