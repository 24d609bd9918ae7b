"""Counts what the activities did, for the worker's /metrics, without touching them.

An activity interceptor sees every attempt: a failure is counted by activity, a
delivery by channel and outcome, and a step recorded by action with how late
it was against its due time.
"""

from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from services.cases.workflow_contract import (
    NOT_DELIVERED,
    DeliveryAttempt,
    DeliveryReport,
    DeliveryResult,
    StepOutcome,
    StepRequest,
)
from services.platform import metrics

CHANNELS = {"send_email": "email", "post_webhook": "webhook"}


class MeteredActivities(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Metered(next)


class _Metered(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        name = activity.info().activity_type
        try:
            result = await self.next.execute_activity(input)
        except ApplicationError as error:
            if error.type != NOT_DELIVERED:  # an attempt to retry is no activity failure
                metrics.ACTIVITY_FAILURES.labels(name).inc()
            if name in CHANNELS:
                metrics.NOTICES.labels(CHANNELS[name], "failed").inc()
            elif error.type == NOT_DELIVERED:
                _attempt_metered(input.args[0] if input.args else None, DeliveryResult(False))
            raise
        except Exception:
            metrics.ACTIVITY_FAILURES.labels(name).inc()
            if name in CHANNELS:
                metrics.NOTICES.labels(CHANNELS[name], "failed").inc()
            raise
        if name in CHANNELS:
            metrics.NOTICES.labels(CHANNELS[name], "sent" if result else "not_set").inc()
        elif name == "deliver_notice" and isinstance(result, DeliveryResult):
            _attempt_metered(input.args[0] if input.args else None, result)
        elif name == "deliver_and_record" and isinstance(result, DeliveryReport):
            _attempt_metered(input.args[0] if input.args else None, result.result)
        elif name == "take_step" and isinstance(result, StepOutcome) and result.recorded:
            _step_recorded(input.args[0] if input.args else None)
        return result


def _attempt_metered(attempt: Any, result: DeliveryResult) -> None:
    """One attempt of a delivery workflow: sent, or failed (it may yet be retried)."""
    if isinstance(attempt, DeliveryAttempt):
        metrics.NOTICES.labels(attempt.delivery.channel,
                               "sent" if result.delivered else "failed").inc()


def _step_recorded(request: Any) -> None:
    if not isinstance(request, StepRequest):
        return
    action = request.step.action
    metrics.STEPS_RECORDED.labels(action).inc()
    late = datetime.now(UTC) - datetime.fromisoformat(request.step.at)
    metrics.REMINDER_LATENESS.labels(action).observe(max(0.0, late.total_seconds()))
