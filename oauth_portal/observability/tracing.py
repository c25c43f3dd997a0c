"""OpenTelemetry tracing, an optional extra (``pip install -e ".[otel]"``).

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) names a
collector: then every request is a span (Django's instrumentation, named by route), with the
PostgreSQL statements (psycopg) and Redis commands it made as child spans, exported over
OTLP/HTTP in batches. The standard ``OTEL_*`` variables configure it (``OTEL_SERVICE_NAME``,
sampling, headers). Under gunicorn it starts in each worker after the fork
(``deploy/gunicorn.conf.py``), as OpenTelemetry asks: a batch exporter's thread does not
survive a fork.

Spans carry the route (``/o/token/``), never a query string or body, so no code or token.
"""

import logging
import os

logger = logging.getLogger(__name__)


# Span attributes that the instrumentation fills from the full URL. A query string can hold a
# credential (``/o/logout/?id_token_hint=...``, a callback's ``?code=``): they get the path.
_URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.query")


def _without_query_string(span, request) -> None:
    if span is None or not span.is_recording():
        return
    for name in _URL_ATTRIBUTES:
        if name in (span.attributes or {}):
            span.set_attribute(name, "" if name == "url.query" else request.path)


def tracing_wanted() -> bool:
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def tracing_start(*, exporter=None) -> bool:
    """Instrument this process; ``exporter`` replaces the OTLP one (tests). Returns whether
    tracing is on. Without the extra installed it logs why and stays off."""
    if exporter is None and not tracing_wanted():
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        logger.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the otel extra is not installed")
        return False
    service = os.environ.get("OTEL_SERVICE_NAME", "oauth-portal")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider, request_hook=_without_query_string)
    for module, name in (
        ("opentelemetry.instrumentation.psycopg", "PsycopgInstrumentor"),
        ("opentelemetry.instrumentation.redis", "RedisInstrumentor"),
    ):
        try:
            instrumentor = getattr(__import__(module, fromlist=[name]), name)
        except ImportError:
            continue
        instrumentor().instrument(tracer_provider=provider)
    return True
