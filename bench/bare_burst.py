"""The floor for a reminder burst: Temporal alone, with nothing of casework in it.

Each bare workflow sleeps until the same moment and then runs one activity that
does nothing but say when it ran. Served by a worker process of its own, as the
case worker is, so that the bench's own measuring does not share its
interpreter; `python -m bench.bare_burst ADDRESS QUEUE` runs that worker.
"""

import asyncio
import sys
import time
from datetime import datetime, timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from workflows.worker import STICKY_WAIT


@activity.defn(name="bare_burst_step")
async def step() -> float:
    """Nothing but the time it ran."""
    return time.time()


@workflow.defn(name="BareBurstWorkflow", sandboxed=False)
class BareBurstWorkflow:
    """Sleep until the moment, then run the one activity; answer when it ran."""

    @workflow.run
    async def run(self, moment: str) -> float:
        remaining = (datetime.fromisoformat(moment) - workflow.now()).total_seconds()
        if remaining > 0:
            await workflow.sleep(remaining)
        return await workflow.execute_activity(step, start_to_close_timeout=timedelta(
            seconds=60))


async def serve(address: str, queue: str) -> None:
    """With the case worker's sticky wait: with the SDK's 10 s, the tail of a burst of
    1,000 waits past it and is handed on, and the floor measures that instead."""
    client = await Client.connect(address)
    async with Worker(client, task_queue=queue, workflows=[BareBurstWorkflow],
                      activities=[step], sticky_queue_schedule_to_start_timeout=STICKY_WAIT):
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
