"""Workflow failures as the Temporal SDK counts them, in casework's own metrics.

The SDK's core keeps its metrics outside Python; a runtime with a metric buffer
hands them over, and the worker drains the buffer every few seconds into
`casework_workflow_failures_total`, served beside the other worker metrics.
"""

import asyncio

from temporalio.runtime import BUFFERED_METRIC_KIND_COUNTER, MetricBuffer, Runtime, TelemetryConfig

from services.platform import metrics

FAILURES = {"temporal_workflow_failed": "workflow run",
            "temporal_workflow_task_execution_failed": "workflow task"}


def metered_runtime() -> tuple[Runtime, MetricBuffer]:
    buffer = MetricBuffer(50_000)
    return Runtime(telemetry=TelemetryConfig(metrics=buffer)), buffer


def drain(buffer: MetricBuffer) -> None:
    for update in buffer.retrieve_updates():
        kind = FAILURES.get(update.metric.name)
        if kind and update.metric.kind == BUFFERED_METRIC_KIND_COUNTER:
            metrics.WORKFLOW_FAILURES.labels(kind).inc(update.value)


async def keep_draining(buffer: MetricBuffer, every_seconds: float = 5.0) -> None:
    while True:
        drain(buffer)
        await asyncio.sleep(every_seconds)
