"""Delivering one notice, apart from the case's timetable.

The case workflow starts this workflow for each notice it records and does
not wait for it (a child abandoned to run on its own, on the notices' own task
queue), so a channel that is down delays nobody's next reminder. Each delivery
(a channel and an address) is one activity, tried with exponential backoff and
jitter: a failed attempt logs one line, with no traceback, and asks Temporal
to try again after the wait it computed; the attempt that delivers, or the
last, records on the case how the delivery ended. Retries thus cost no
workflow task, no timer and no event in this workflow's history. A final
failure alerts the region's coordinators, delivered here too.

Notices handed over by earlier workers (`RetrySchedule.by_temporal` unset)
replay as they ran: an activity per attempt, timers between, then a record.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from services.cases.workflow_contract import (
        NOTICE_DELIVERY_WORKFLOW,
        Delivery,
        DeliveryAttempt,
        DeliveryOutcome,
        DeliveryReport,
        DeliveryResult,
        Notice,
        retry_wait,
    )

ATTEMPT_TIMEOUT = timedelta(seconds=30)
RECORD_TIMEOUT = timedelta(seconds=10)
RETRY_AFTER_LOSS = timedelta(seconds=1)  # an attempt lost to a timeout; else the activity
ONE_TRY = RetryPolicy(maximum_attempts=1)  # says how long (earlier notices: the workflow)


@workflow.defn(name=NOTICE_DELIVERY_WORKFLOW)
class NoticeDeliveryWorkflow:
    @workflow.run
    async def run(self, notice: Notice) -> list[DeliveryResult]:
        deliver = self._deliver_by_temporal if notice.retry.by_temporal else self._deliver
        return list(await asyncio.gather(*(deliver(notice, d) for d in notice.deliveries)))

    async def _deliver_by_temporal(self, notice: Notice, delivery: Delivery) -> DeliveryResult:
        """One activity delivers, is retried by Temporal, and records how it ended; only
        an activity lost to its timeout (the worker gone at the last attempt) is
        recorded from here."""
        attempts = max(notice.retry.attempts, 1)
        try:
            report = await workflow.execute_activity(
                "deliver_and_record", DeliveryAttempt(notice, delivery, 0),
                start_to_close_timeout=ATTEMPT_TIMEOUT, result_type=DeliveryReport,
                retry_policy=RetryPolicy(maximum_attempts=attempts,
                                         initial_interval=RETRY_AFTER_LOSS))
        except ActivityError as error:
            result = DeliveryResult(False, str(error.cause or error))
            report = DeliveryReport(result, attempts, await self._record(
                DeliveryOutcome(notice, delivery, result, attempts)))
        for alert in report.alerts:
            await self.run(alert)
        return report.result

    async def _record(self, outcome: DeliveryOutcome) -> list[Notice]:
        return await workflow.execute_activity(
            "record_delivery", outcome, start_to_close_timeout=RECORD_TIMEOUT,
            result_type=list[Notice])

    # -- notices handed over by earlier workers: an attempt per activity --------------

    async def _deliver(self, notice: Notice, delivery: Delivery) -> DeliveryResult:
        """Deliver, record how it ended, and deliver any alert a failure raised."""
        result, attempts = await self._try(notice, delivery)
        alerts = await self._record(DeliveryOutcome(notice, delivery, result, attempts))
        for alert in alerts:
            await self.run(alert)
        return result

    async def _try(self, notice: Notice, delivery: Delivery) -> tuple[DeliveryResult, int]:
        """Try until delivered or out of attempts; the last answer says which."""
        attempts = max(notice.retry.attempts, 1)
        for attempt in range(1, attempts + 1):
            result = await self._attempt(DeliveryAttempt(notice, delivery, attempt))
            if result.delivered or result.refused or attempt == attempts:
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
