"""OpenTelemetry tracing, off unless CASEWORK_OTEL_ENDPOINT names an OTLP/HTTP collector.

Each process gets its own tracer provider (never the global one), handed to the
HTTP middleware and to Temporal's tracing interceptor, so one trace follows a
request from the API through the workflow it starts to that workflow's
activities in the worker.
"""

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from services.platform.settings import Settings


def tracer_provider(settings: Settings, service: str) -> TracerProvider | None:
    """A provider exporting to the configured collector, or None when tracing is off."""
    if not settings.otel_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
