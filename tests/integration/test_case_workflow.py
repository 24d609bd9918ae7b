"""The case workflow on a real Temporal dev server, on both stores.

The fixture's cases fall due two seconds after opening; the region's policy
(see `fast_policy`) reminds one second before, then every second once missed.
"""

import asyncio

from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import EXIT_STRATEGY, OPEN_CASE, event_types, eventually
from tests.integration.escalation_support import ACTOR, fast_policy
from workflows.reconciler import Reconciler


def reminders(cases: CaseService, case_id) -> list[dict]:
    return [e for e in cases.history(case_id) if e["type"] == "ReminderIssued"]


async def test_a_diagnosis_in_time_means_no_reminder(cases, policies, escalation_worker, client,
                                                     task_queue):
    fast_policy(policies)
    gateway = WorkflowGateway(client, task_queue)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await gateway.ensure_started(str(case_id))
    cases.record_diagnosis(case_id, summary="capacity and leadership", **ACTOR)
    await gateway.case_changed(str(case_id))
    status = await eventually(lambda: _no_diagnosis_deadline(gateway, case_id))
    assert status["stage"] == "local"
    await asyncio.sleep(3)  # past the moment the diagnosis would have been missed
    assert reminders(cases, case_id) == []


async def _no_diagnosis_deadline(gateway: WorkflowGateway, case_id) -> dict | None:
    status = await gateway.case_status(str(case_id))
    return status if status and "diagnosis" not in status["deadlines"] else None


async def test_a_missed_deadline_is_reminded_before_and_after_up_to_the_limit(
    cases, policies, receiver, mailbox, escalation_worker, client, task_queue
):
    fast_policy(policies, receiver)  # no council agreement yet: the case cannot leave local
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    of_the_diagnosis = lambda: [r for r in reminders(cases, case_id)  # noqa: E731
                                if r["data"]["deadline"] == "diagnosis"]
    await eventually(lambda: len(of_the_diagnosis()) >= 3)
    await asyncio.sleep(2.5)  # the limit is reached: no more about the diagnosis itself
    issued = of_the_diagnosis()
    keys = [r["data"]["reminder_key"] for r in issued]
    assert [k.rsplit(":", 1)[-1] for k in keys] == ["before", "missed-1", "missed-2"]
    assert {r["actor"]["role"] for r in issued} == {"automation"}
    history = event_types(cases.history(case_id))
    assert "StageChanged" not in history
    assert "JointMeetingProposed" in history  # stuck at local, but never left silent
    await eventually(lambda: set(keys) <= set(receiver.keys))
    await eventually(lambda: len(mailbox[0].messages) >= 3)
    assert all(m["To"] == "coordinators@riep.example" for m in mailbox[0].messages)


async def test_a_deadline_met_while_the_workflow_was_never_told_sends_nothing(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies, remind_before="PT0S")
    gateway = WorkflowGateway(client, task_queue)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await gateway.ensure_started(str(case_id))
    status = await eventually(lambda: gateway.case_status(str(case_id)))
    assert status["next_step"]["key"].endswith("missed-1")  # it is waiting for the due time
    # the process dies after recording the diagnosis and before signalling the workflow
    cases.record_diagnosis(case_id, summary="capacity and leadership", **ACTOR)
    await asyncio.sleep(4)  # the workflow wakes at the due time and re-reads the case
    assert reminders(cases, case_id) == []


async def test_the_reconciler_starts_a_workflow_the_request_path_never_started(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)  # as if the API died right after saving
    reconciler = Reconciler(cases, WorkflowGateway(client, task_queue))
    assert await reconciler.catch_up() == 1
    assert await reconciler.catch_up() == 0  # nothing new: the position moved on
    await eventually(lambda: reminders(cases, case_id))


async def test_a_reopened_case_gets_a_workflow_again(cases, policies, escalation_worker, client,
                                                     task_queue):
    fast_policy(policies)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    gateway = WorkflowGateway(client, task_queue)
    reconciler = Reconciler(cases, gateway)
    await reconciler.catch_up()
    handle = client.get_workflow_handle(f"case-{case_id}")
    cases.close_case(case_id, outcome="improved and handed back",
                     exit_strategy=EXIT_STRATEGY, **ACTOR)
    cases.record_follow_up_review(case_id, judgement="improvement sustained",
                                  notes="held up", **ACTOR)  # nothing left to remind of
    await gateway.case_changed(str(case_id))
    assert await asyncio.wait_for(handle.result(), timeout=20) == "case closed"
    assert await gateway.ensure_started(str(case_id)) is False  # a closed case stays quiet

    cases.reopen_case(case_id, reason="services slipped again", **ACTOR)
    assert await reconciler.catch_up() == 1
    description = await client.get_workflow_handle(f"case-{case_id}").describe()
    assert description.status.name == "RUNNING"
