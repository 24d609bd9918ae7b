"""Delivering one notice, apart from the case's timetable.

The case workflow starts this workflow for each notice it records and does
not wait for it (a child abandoned to run on its own), so a channel that is
down delays nobody's next reminder. Each delivery (a channel and an address)
is tried with exponential backoff and jitter; each attempt is one activity
that answers delivered or not, with the reason, rather than raising, so the
worker logs one line per attempt and no traceback. How each delivery ended is
then recorded on the case; a final failure alerts the region's coordinators,
delivered here too.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from services.escalation import (
        NOTICE_DELIVERY_WORKFLOW,
        Delivery,
        DeliveryAttempt,
        DeliveryOutcome,
        DeliveryResult,
        Notice,
        retry_wait,
    )

ATTEMPT_TIMEOUT = timedelta(seconds=30)
RECORD_TIMEOUT = timedelta(seconds=10)
ONE_TRY = RetryPolicy(maximum_attempts=1)  # the workflow retries, with jitter, itself


@workflow.defn(name=NOTICE_DELIVERY_WORKFLOW)
class NoticeDeliveryWorkflow:
    @workflow.run
    async def run(self, notice: Notice) -> list[DeliveryResult]:
        return list(await asyncio.gather(*(self._deliver(notice, d)
                                           for d in notice.deliveries)))

    async def _deliver(self, notice: Notice, delivery: Delivery) -> DeliveryResult:
        """Deliver, record how it ended, and deliver any alert a failure raised."""
        result, attempts = await self._try(notice, delivery)
        alerts = await workflow.execute_activity(
            "record_delivery", DeliveryOutcome(notice, delivery, result, attempts),
            start_to_close_timeout=RECORD_TIMEOUT, result_type=list[Notice])
        for alert in alerts:
            await self.run(alert)
        return result

    async def _try(self, notice: Notice, delivery: Delivery) -> tuple[DeliveryResult, int]:
        """Try until delivered or out of attempts; the last answer says which."""
        attempts = max(notice.retry.attempts, 1)
        for attempt in range(1, attempts + 1):
            result = await self._attempt(DeliveryAttempt(notice, delivery, attempt))
            if result.delivered or attempt == attempts:
                return result, attempt
            await workflow.sleep(retry_wait(notice.retry, attempt, workflow.random().random()))
        raise AssertionError("unreachable: the last attempt returns")

    async def _attempt(self, attempt: DeliveryAttempt) -> DeliveryResult:
        try:
            return await workflow.execute_activity(
                "deliver_notice", attempt, start_to_close_timeout=ATTEMPT_TIMEOUT,
                retry_policy=ONE_TRY, result_type=DeliveryResult)
        except ActivityError as error:  # the worker died or the attempt timed out
            return DeliveryResult(False, str(error.cause or error))
