"""One trace from the HTTP request through the workflow it starts to its activities,
exported over OTLP/HTTP to a collector (here a real HTTP server on loopback)."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor

from api.main import create_app
from services.platform.tracing import tracer_provider
from tests.e2e.conftest import bearer, register_authorities, serve
from tests.helpers import OPEN_CASE, eventually
from workflows.worker import build_worker


class Collector:
    """Receives OTLP/HTTP trace exports and keeps every span."""

    def __init__(self) -> None:
        self.spans: list = []
        spans = self.spans

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server interface
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource in request.resource_spans:
                    for scope in resource.scope_spans:
                        spans.extend(scope.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def names(self, trace_id: bytes) -> set[str]:
        return {s.name for s in self.spans if s.trace_id == trace_id}


@pytest.fixture
def collector():
    running = Collector()
    yield running
    running.server.shutdown()


def test_tracing_is_off_without_an_endpoint(settings):
    assert tracer_provider(settings, "casework-api") is None


async def test_a_request_is_traced_into_its_workflow_and_activities(
        settings, services, cases, identity, temporal, collector):
    traced = settings.model_copy(update={
        "otel_endpoint": collector.url, "task_queue": f"traced-{uuid.uuid4().hex[:8]}",
        "temporal_address": temporal.client.service_client.config.target_host})
    identity.register_user(username="cora", role="coordinator", region=OPEN_CASE["region"])
    token = identity.issue_token("cora")
    worker_tracing = tracer_provider(traced, "casework-worker")
    client = await Client.connect(traced.temporal_address, interceptors=[
        TracingInterceptor(worker_tracing.get_tracer("casework.worker"))])
    register_authorities(traced)
    server, thread, url = serve(create_app(traced, services=services))
    try:
        with ThreadPoolExecutor(4) as executor:
            async with build_worker(client, cases, traced.task_queue, executor):
                async with httpx.AsyncClient(base_url=url, timeout=10) as http:
                    await eventually(lambda: _ready(http), timeout=20)
                    created = await http.post("/cases", json=OPEN_CASE,
                                              headers=bearer(token))
                    assert created.status_code == 201, created.text
                    await eventually(lambda: _planned(http, created.json()["id"], token))
    finally:
        server.should_exit = True
        thread.join(timeout=10)  # the app's shutdown sends its spans
        worker_tracing.shutdown()
    [request] = [s for s in collector.spans if s.name == "POST /cases"]
    names = collector.names(request.trace_id)
    assert {"StartWorkflow:CaseWorkflow", "RunWorkflow:CaseWorkflow",
            "StartActivity:read_case_plan", "RunActivity:read_case_plan"} <= names, names


async def _ready(http: httpx.AsyncClient) -> bool:
    return (await http.get("/health/ready")).status_code == 200


async def _planned(http: httpx.AsyncClient, case_id: str, token: str) -> bool:
    stage = (await http.get(f"/cases/{case_id}/stage", headers=bearer(token))).json()
    return bool(stage.get("workflow") or stage.get("next_step"))
