"""The morning digest, started by a Temporal Schedule at 09:00 UK time every day.

The activity itself skips weekends and bank holidays, which a calendar spec
cannot name. A run is not retried: a second run would send a second digest.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from services.cases.workflow_contract import MORNING_DIGEST_WORKFLOW


@workflow.defn(name=MORNING_DIGEST_WORKFLOW)
class MorningDigestWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            "send_morning_digests", start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_attempts=1), result_type=int)
