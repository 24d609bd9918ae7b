"""A changed workflow definition must not break workflows already running.

The histories below were recorded from earlier definitions of the case
workflow: the first (a single reminder when the diagnosis deadline passed, woken
once by a case change) and the second, timetable-driven one (reminders before
and after the deadline, deliveries by email and webhook, two automated
escalations, then a case change), and the third, which took a step and
re-planned in one activity and delivered each notice before its next wait; and
one from today's, which hands each notice to a delivery workflow of its own. Replaying them against today's definition
fails with a non-determinism error if a change was made without
`workflow.patched`.
"""

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.case_workflow import CaseWorkflow
from workflows.notice_delivery import NoticeDeliveryWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def test_a_history_recorded_by_the_first_definition_replays_unchanged():
    recorded = (HISTORIES / "case_workflow_v1_reminded.json").read_text()
    history = WorkflowHistory.from_json("case-recorded-v1", recorded)
    result = await Replayer(workflows=[CaseWorkflow]).replay_workflow(history,
                                                                     raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_a_history_recorded_by_the_timetable_definition_replays_unchanged():
    recorded = (HISTORIES / "case_workflow_v2_escalated.json").read_text()
    assert '"name": "read_case_plan"' in recorded and '"name": "post_webhook"' in recorded
    history = WorkflowHistory.from_json("case-recorded-v2", recorded)
    result = await Replayer(workflows=[CaseWorkflow]).replay_workflow(history,
                                                                     raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_a_history_recorded_by_the_take_and_plan_definition_replays_unchanged():
    """The third definition delivered each notice before taking the next step."""
    recorded = (HISTORIES / "case_workflow_v3_delivered.json").read_text()
    assert '"name": "take_step"' in recorded and '"name": "send_email"' in recorded
    history = WorkflowHistory.from_json("case-recorded-v3", recorded)
    result = await Replayer(workflows=[CaseWorkflow]).replay_workflow(history,
                                                                     raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_a_history_recorded_by_the_current_definition_replays_unchanged():
    """The current definition hands each notice to a delivery workflow of its own."""
    recorded = (HISTORIES / "case_workflow_v4_handed_over.json").read_text()
    assert "START_CHILD_WORKFLOW_EXECUTION_INITIATED" in recorded
    history = WorkflowHistory.from_json("case-recorded-v4", recorded)
    result = await Replayer(workflows=[CaseWorkflow]).replay_workflow(history,
                                                                     raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_a_notice_handed_over_before_temporal_retried_its_deliveries_replays_unchanged():
    """Recorded from the delivery workflow that tried each attempt as an activity of its
    own and waited on timers between: such a notice still in flight runs on as it began."""
    recorded = (HISTORIES / "notice_delivery_v1_failed.json").read_text()
    assert recorded.count('"name": "deliver_notice"') == 3 and "TIMER_STARTED" in recorded
    history = WorkflowHistory.from_json("notice-recorded-v1", recorded)
    result = await Replayer(workflows=[NoticeDeliveryWorkflow]).replay_workflow(
        history, raise_on_replay_failure=False)
    assert result.replay_failure is None


async def test_replay_notices_a_definition_that_changed_without_a_patch():
    """The replay test can fail: a history whose commands differ is refused."""
    recorded = (HISTORIES / "case_workflow_v1_reminded.json").read_text()
    tampered = recorded.replace('"name": "issue_reminder"', '"name": "send_email"')
    history = WorkflowHistory.from_json("case-recorded-v1", tampered)
    result = await Replayer(workflows=[CaseWorkflow]).replay_workflow(history,
                                                                     raise_on_replay_failure=False)
    assert result.replay_failure is not None
