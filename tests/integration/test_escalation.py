"""Escalation on a real Temporal dev server, on both stores.

Cases fall due two seconds after opening; the region reminds one second
before, then every second once missed, and escalates after two missed reminders.
"""

import asyncio
from datetime import datetime

from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import OPEN_CASE, event_types, eventually
from tests.integration.escalation_support import ACTOR, fast_policy

COUNCIL = dict(actor_id="liaison-1", actor_role="council liaison officer")


def events(cases: CaseService, case_id, kind: str) -> list[dict]:
    return [e for e in cases.history(case_id) if e["type"] == kind]


async def open_agreed_case(cases: CaseService, client, task_queue):
    """A case whose council agreed to a referral, so the ladder lets it up from local."""
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.acknowledge_need(case_id, reason="the council asks for support", **COUNCIL)
    gateway = WorkflowGateway(client, task_queue)
    await gateway.ensure_started(str(case_id))
    return case_id, gateway


async def test_a_missed_deadline_climbs_to_the_riep_and_only_proposes_the_government_meeting(
    cases, policies, receiver, escalation_worker, client, task_queue
):
    fast_policy(policies, receiver)  # escalation "automatic": still only a proposal at the top
    case_id, gateway = await open_agreed_case(cases, client, task_queue)
    [proposal] = await eventually(lambda: events(cases, case_id, "EscalationProposed"),
                                  timeout=30)
    await eventually(lambda: len(events(cases, case_id, "ReminderIssued")) >= 7, timeout=30)
    await asyncio.sleep(2.5)  # the proposal waits for a person: no move, no more reminders
    [move] = events(cases, case_id, "StageChanged")
    assert (move["data"]["from_stage"], move["data"]["to_stage"]) == ("local", "RIEP")
    assert move["data"]["trigger"] == "automated"
    assert "diagnosis deadline was missed" in move["data"]["reason"]
    assert proposal["data"]["to_stage"] == "government meeting"
    assert proposal["actor"]["role"] == "automation"
    keys = [r["data"]["reminder_key"] for r in events(cases, case_id, "ReminderIssued")]
    assert len(keys) == len(set(keys)) == 7  # one before, two missed at each stage, two to decide
    assert cases.get_case(case_id)["stage"] == "RIEP"
    kinds = lambda: [p["type"] for p in receiver.posts]  # noqa: E731
    await eventually(lambda: "propose escalation" in kinds() and "escalate" in kinds())

    cases.confirm_escalation(case_id, reason="Meet before any improvement notice", **ACTOR)
    await gateway.case_changed(str(case_id))
    moves = events(cases, case_id, "StageChanged")
    assert [(m["data"]["to_stage"], m["data"]["trigger"]) for m in moves] == [
        ("RIEP", "automated"), ("government meeting", "person")]
    assert cases.get_case(case_id)["government_meetings"] == []  # a person convenes it


async def test_a_case_stuck_at_local_gets_a_joint_meeting_proposed_and_reminded_until_declined(
    cases, policies, receiver, escalation_worker, client, task_queue
):
    fast_policy(policies, receiver)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)  # the council has not agreed
    gateway = WorkflowGateway(client, task_queue)
    await gateway.ensure_started(str(case_id))
    [proposal] = await eventually(lambda: events(cases, case_id, "JointMeetingProposed"),
                                  timeout=30)
    assert proposal["actor"]["role"] == "automation"
    meeting_reminders = lambda: [r for r in events(cases, case_id, "ReminderIssued")  # noqa: E731
                                 if r["data"]["deadline"] == "joint local meeting"]
    await eventually(lambda: len(meeting_reminders()) >= 3, timeout=15)  # past the limit of 2
    assert "StageChanged" not in event_types(cases.history(case_id))
    await eventually(lambda: "remind of joint local meeting" in [p["type"] for p in
                                                                 receiver.posts])

    cases.decline_joint_meeting(case_id, reason="The council's new leader starts Monday",
                                **ACTOR)
    await gateway.case_changed(str(case_id))
    of_the_first = lambda: [r for r in meeting_reminders()  # noqa: E731
                            if r["data"]["due"] == proposal["data"]["recorded_at"]]
    await asyncio.sleep(0.5)
    count = len(of_the_first())
    await asyncio.sleep(2.5)
    assert len(of_the_first()) == count  # declined: its reminders stop
    [declined] = events(cases, case_id, "JointMeetingProposalDeclined")
    later = events(cases, case_id, "JointMeetingProposed")[1:]
    # never silent: missed deadlines count again from the decline, and may propose anew
    assert all(p["recorded_at"] > declined["recorded_at"] for p in later)


async def test_a_proposed_escalation_confirmed_by_a_coordinator_moves_the_case_up(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies, escalation="proposed", missed_reminder_limit=1)
    case_id, gateway = await open_agreed_case(cases, client, task_queue)
    await eventually(lambda: events(cases, case_id, "EscalationProposed"), timeout=15)
    decision_reminders = lambda: [r for r in events(cases, case_id, "ReminderIssued")  # noqa: E731
                                  if r["data"]["deadline"] == "escalation decision"]
    await eventually(decision_reminders)
    status = await gateway.case_status(str(case_id))
    assert status["pending_proposal"] is not None and status["stage"] == "local"
    assert "StageChanged" not in event_types(cases.history(case_id))  # waits for a person

    cases.confirm_escalation(case_id, reason="support plan stalled", **ACTOR)
    await gateway.case_changed(str(case_id))
    [move] = events(cases, case_id, "StageChanged")
    assert move["data"]["trigger"] == "person" and move["data"]["to_stage"] == "RIEP"
    assert len(events(cases, case_id, "EscalationProposed")) == 1
    status = await eventually(lambda: _at_stage(gateway, case_id, "RIEP"))
    assert status["pending_proposal"] is None


async def _at_stage(gateway: WorkflowGateway, case_id, stage: str) -> dict | None:
    status = await gateway.case_status(str(case_id))
    return status if status and status["stage"] == stage else None


async def test_a_declined_proposal_keeps_the_stage_and_restarts_the_count(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies, escalation="proposed", missed_reminder_limit=1, remind_every="PT2S")
    case_id, gateway = await open_agreed_case(cases, client, task_queue)
    await eventually(lambda: events(cases, case_id, "EscalationProposed"), timeout=15)
    cases.decline_escalation(case_id, reason="the council's new leader needs time", **ACTOR)
    declined_at = datetime.fromisoformat(str(events(cases, case_id, "EscalationDeclined")[0]
                                             ["recorded_at"]))
    await gateway.case_changed(str(case_id))
    await eventually(lambda: len(events(cases, case_id, "EscalationProposed")) == 2, timeout=15)
    assert cases.get_case(case_id)["stage"] == "local"
    assert "StageChanged" not in event_types(cases.history(case_id))
    after = [r for r in events(cases, case_id, "ReminderIssued")
             if datetime.fromisoformat(str(r["recorded_at"])) > declined_at
             and r["data"]["deadline"] == "diagnosis"]
    assert len(after) == 1  # the missed count started again from the decision


async def test_a_paused_deadline_stops_its_clock_and_resumes_with_the_time_used_kept(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    first_due = cases.get_case(case_id)["deadlines"]["diagnosis"]
    gateway = WorkflowGateway(client, task_queue)
    await gateway.ensure_started(str(case_id))
    cases.pause_deadline(case_id, deadline="diagnosis", reason="council elections", **ACTOR)
    await gateway.case_changed(str(case_id))
    await asyncio.sleep(3)  # well past the original due time
    assert events(cases, case_id, "ReminderIssued") == []
    cases.resume_deadline(case_id, deadline="diagnosis", reason="new cabinet in place", **ACTOR)
    await gateway.case_changed(str(case_id))
    new_due = cases.get_case(case_id)["deadlines"]["diagnosis"]
    assert (new_due - first_due).total_seconds() >= 3
    reminder = (await eventually(lambda: events(cases, case_id, "ReminderIssued")))[0]
    assert reminder["data"]["due"] == new_due


async def test_a_policy_change_reaches_a_running_case_at_its_next_step(
    cases, policies, escalation_worker, client, task_queue
):
    fast_policy(policies, missed_reminder_limit=3)  # automatic escalation, after three
    case_id, _ = await open_agreed_case(cases, client, task_queue)
    await eventually(lambda: any(r["data"]["reminder_key"].endswith("missed-1")
                                 for r in events(cases, case_id, "ReminderIssued")))
    fast_policy(policies, missed_reminder_limit=3, escalation="proposed")
    await eventually(lambda: events(cases, case_id, "EscalationProposed"), timeout=15)
    assert "StageChanged" not in event_types(cases.history(case_id))
