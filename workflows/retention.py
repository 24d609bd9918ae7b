"""The retention sweep: proposes to administrators the disposal of every closed case
the schedule now allows (docs/records.md). It never disposes of anything itself.

A Temporal Schedule starts it every CASEWORK_RETENTION_SWEEP_INTERVAL (an hour by
default). One sweep rather than a timer per closed case: each run reads the closed
cases and the schedule as they are now, so a case reopened, a schedule changed, a
restored store or a worker killed mid-run needs nothing reconciled; the Schedule
lives on the Temporal server, and the next run (or the activity's retry) finds what
the last one did not finish. A case is proposed once for each closure.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from services.cases.workflow_contract import RETENTION_SWEEP_WORKFLOW


@workflow.defn(name=RETENTION_SWEEP_WORKFLOW)
class RetentionSweepWorkflow:
    @workflow.run
    async def run(self) -> int:
        """How many cases were newly proposed for disposal."""
        return await workflow.execute_activity(
            "propose_disposals", start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1),
                                     maximum_interval=timedelta(minutes=1),
                                     maximum_attempts=5),
            result_type=int)
