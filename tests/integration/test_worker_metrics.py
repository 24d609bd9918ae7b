"""Workflow failures reach casework's metrics from the Temporal SDK's own counters."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import REGISTRY
from temporalio import workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from workflows.sdk_metrics import drain, metered_runtime


@workflow.defn(name="AlwaysFails")
class AlwaysFails:
    @workflow.run
    async def run(self) -> None:
        raise ApplicationError("broken on purpose", non_retryable=True)


async def test_a_failed_workflow_is_counted(temporal):
    runtime, buffer = metered_runtime()
    target = temporal.client.service_client.config.target_host
    client = await Client.connect(target, runtime=runtime)
    queue = f"failing-{uuid.uuid4().hex[:8]}"
    before = REGISTRY.get_sample_value("casework_workflow_failures_total",
                                       {"kind": "workflow run"}) or 0
    with ThreadPoolExecutor(2) as executor:
        async with Worker(client, task_queue=queue, workflows=[AlwaysFails],
                          activity_executor=executor,
                          workflow_runner=UnsandboxedWorkflowRunner()):
            with pytest.raises(WorkflowFailureError):
                await client.execute_workflow("AlwaysFails", id=f"fails-{queue}",
                                              task_queue=queue)
    drain(buffer)
    after = REGISTRY.get_sample_value("casework_workflow_failures_total",
                                      {"kind": "workflow run"})
    assert after == before + 1
