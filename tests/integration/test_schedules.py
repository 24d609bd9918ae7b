"""Authority-level duties remind on Temporal Schedules, and a case history stays small."""

import asyncio
from datetime import UTC, datetime, timedelta

from services.cases.workflow_contract import AuthorityDuty, authority_schedule_id
from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, REGION, fast_policy

SELF_EVALUATION = AuthorityDuty(authority_id="northshire", authority="Northshire County Council",
                                region=REGION, duty="annual self-evaluation")


async def test_a_schedule_fires_and_reminds_the_region_of_an_authority_duty(
    policies, receiver, mailbox, escalation_worker, client, task_queue
):
    fast_policy(policies, receiver)
    gateway = WorkflowGateway(client, task_queue)
    now = datetime.now(UTC)
    soon = now.replace(microsecond=0) + timedelta(seconds=3)
    schedule_id = await gateway.schedule_authority_duty(SELF_EVALUATION, due_at=soon, now=now)
    try:
        await eventually(lambda: receiver.posts, timeout=15)  # fired by the schedule itself
        post = receiver.posts[0]
        assert post["subject"] == "Northshire County Council: annual self-evaluation due"
        await eventually(lambda: mailbox[0].messages)
        assert mailbox[0].messages[0]["To"] == "coordinators@riep.example"
        # scheduling again replaces the schedule instead of adding a second one
        next_year = soon + timedelta(days=365)
        again = await gateway.schedule_authority_duty(SELF_EVALUATION, due_at=next_year,
                                                      now=datetime.now(UTC))
        assert again == schedule_id == authority_schedule_id("northshire",
                                                             "annual self-evaluation")
        description = await client.get_schedule_handle(schedule_id).describe()
        assert description.info.next_action_times == [next_year]
    finally:
        await client.get_schedule_handle(schedule_id).delete()


async def test_a_long_lived_case_continues_as_new_and_keeps_its_timetable(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    handle = await client.start_workflow(
        "CaseWorkflow", {"case_id": str(case_id), "rounds_before_continue": 2},
        id=f"case-{case_id}", task_queue=task_queue)
    await eventually(lambda: len([e for e in cases.history(case_id)
                                  if e["type"] == "ReminderIssued"]) == 3, timeout=20)
    await asyncio.sleep(1.5)
    described = await client.get_workflow_handle(f"case-{case_id}").describe()
    assert described.run_id != handle.result_run_id  # a fresh run, with a short history
    keys = [e["data"]["reminder_key"] for e in cases.history(case_id)
            if e["type"] == "ReminderIssued"]
    assert len(keys) == len(set(keys)) == 3
