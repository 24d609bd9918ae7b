"""A step that can never succeed is not retried for ever: it is recorded, told, and passed.

On the real Temporal dev server with a region policy of seconds. The refusal
is injected into the escalation steps (a rule refusing one reminder); the
case that does not exist is real.
"""

import asyncio
from uuid import uuid4

import pytest
from temporalio.client import WorkflowExecutionStatus

import workflows.worker
from domain.errors import RuleViolation
from services.cases.workflow_contract import StepOutcome, StepRequest, case_workflow_id
from services.cases.workflow_gateway import WorkflowGateway
from services.reminders.escalation_steps import EscalationSteps
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy


class RefusesTheFirstMissedReminder(EscalationSteps):
    """A rule refuses every first missed-deadline reminder, on every attempt."""

    refused: list[str] = []

    def take(self, request: StepRequest) -> StepOutcome:
        if request.step.key.endswith(":missed-1"):
            self.refused.append(request.step.key)
            raise RuleViolation("refused for this test", rule="reminder_refused")
        return super().take(request)


@pytest.fixture
def refusing_steps(monkeypatch):
    RefusesTheFirstMissedReminder.refused = []
    monkeypatch.setattr(workflows.worker, "EscalationSteps", RefusesTheFirstMissedReminder)
    return RefusesTheFirstMissedReminder


def of_type(cases, case_id, kind):
    return [e for e in cases.history(case_id) if e["type"] == kind]


async def test_a_refused_step_is_recorded_once_told_and_the_next_reminders_still_come(
        refusing_steps, cases, policies, escalation_worker, client, task_queue, mailbox):
    fast_policy(policies)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    gateway = WorkflowGateway(client, task_queue)
    await gateway.ensure_started(str(case_id))

    failed = await eventually(lambda: of_type(cases, case_id, "AutomatedStepFailed"))
    assert failed[0]["data"]["step_key"].endswith(":missed-1")
    assert "reminder_refused" in failed[0]["data"]["error"] or \
        "refused for this test" in failed[0]["data"]["error"]
    await eventually(lambda: any(r["data"]["reminder_key"].endswith(":missed-2")
                                 for r in of_type(cases, case_id, "ReminderIssued")))
    await eventually(lambda: any("failed" in s for s in mailbox[0].subjects()))
    await asyncio.sleep(2)
    assert len(refusing_steps.refused) == 1  # never retried
    assert len(of_type(cases, case_id, "AutomatedStepFailed")) == 1
    description = await client.get_workflow_handle(case_workflow_id(str(case_id))).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING


async def test_a_workflow_for_a_case_not_found_stays_alive_without_retrying(
        cases, policies, escalation_worker, client, task_queue):
    missing = str(uuid4())
    await WorkflowGateway(client, task_queue).ensure_started(missing)
    handle = client.get_workflow_handle(case_workflow_id(missing))

    async def failed_once() -> bool:
        events = [e async for e in handle.fetch_history_events()]
        return any(e.HasField("activity_task_failed_event_attributes") for e in events)

    await eventually(failed_once, timeout=60)  # after a few attempts (it may be lagging)
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert list(description.raw_description.pending_activities) == []
