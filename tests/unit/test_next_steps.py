"""What a case offers now is what it accepts: a step offered is never refused for a reason
that does not hang on what was submitted, and a step not offered is refused whatever is
submitted. Checked for every command on cases at each stage of their life."""

from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from typing import Any

import pytest

from domain.case import Case
from domain.case.next_steps import PRECONDITIONS, TaskStatus, offered_now, tasks
from domain.documents import StoredFile
from domain.errors import DomainError
from domain.ownership import Person
from tests.helpers import EXIT_STRATEGY, OPEN_CASE
from tests.unit.case_builder import (
    ACTIONS,
    ACTOR,
    COUNCIL,
    NOW,
    agreed,
    diagnosed,
    drafted,
    opened,
)

LATER = NOW + timedelta(minutes=1)
MEASURES = {"Director in post": "on track", "Caseloads under 20": "on track"}


def _active(mapping: dict[str, Any], default: str) -> str:
    return next((k for k, v in mapping.items() if v.get("status", "active") == "active"),
                default)


def _next_stage(case: Case) -> str:
    return case.next_rung() or "RIEP"


COMMANDS: dict[str, Callable[[Case], Any]] = {
    "add intelligence": lambda c: c.add_intelligence(
        content="More", source="press", confidentiality="normal", recorded_at=LATER, **ACTOR),
    "assess risk": lambda c: c.assess_risk(kind="inherent", impact="low", likelihood="low",
                                           reason="r", recorded_at=LATER, **ACTOR),
    "record diagnosis": lambda c: c.record_diagnosis(summary="s", recorded_at=LATER, **ACTOR),
    "acknowledge need": lambda c: c.acknowledge_need(reason="r", recorded_at=LATER, **COUNCIL),
    "decline support": lambda c: c.decline_support(reason="r", recorded_at=LATER, **COUNCIL),
    "draft support plan": lambda c: c.draft_plan(summary="s", actions=ACTIONS,
                                                 adviser_id="adviser-1", recorded_at=LATER,
                                                 **ACTOR),
    "review support plan": lambda c: c.review_plan(suggestions=["x"], recorded_at=LATER,
                                                   **ACTOR),
    "ask council to agree plan": lambda c: c.ask_council_to_agree(note="", recorded_at=LATER,
                                                                  **ACTOR),
    "agree support plan": lambda c: c.agree_plan(reason="r", recorded_at=LATER, **COUNCIL),
    "revise support plan": lambda c: c.revise_plan(actions=ACTIONS, reason="r",
                                                   recorded_at=LATER, **ACTOR),
    "commission support": lambda c: c.commission_support(
        provider="IDeA", description="d", problem_natures=["capability"], cost="1",
        reason="r", recorded_at=LATER, commission_id="commission-new", **ACTOR),
    "end commission": lambda c: c.end_commission(
        commission_id=_active(dict(c._commission_keys()), "commission-1"), reason="r",
        recorded_at=LATER, **ACTOR),
    "deploy peer": lambda c: c.deploy_peer(peer_id="p", peer_council="Southshire", role="r",
                                           reason="r", recorded_at=LATER, **ACTOR),
    "record peer visit": lambda c: c.record_peer_visit(
        deployment_id=_active(c.deployments, "deployment-1"), visited_at=NOW, notes="n",
        recorded_at=LATER, **ACTOR),
    "end peer deployment": lambda c: c.end_peer_deployment(
        deployment_id=_active(c.deployments, "deployment-1"), reason="r", recorded_at=LATER,
        **ACTOR),
    "review progress": lambda c: c.review_progress(
        measures=MEASURES, judgement="improving", reason="r", recorded_at=LATER, **ACTOR),
    "change stage": lambda c: c.change_stage(to_stage=_next_stage(c), trigger="person",
                                             reason="r", recorded_at=LATER, **ACTOR),
    "record joint local meeting": lambda c: c.hold_joint_local_meeting(
        outcome="strong local plan", reason="r", recorded_at=LATER,
        attendees=[{"kind": "council or partnership", "name": "Leader"}], **ACTOR),
    "record joint meeting summary": lambda c: c.record_joint_meeting_summary(
        summary="s", recorded_at=LATER, **ACTOR),
    "propose joint meeting": lambda c: c.propose_joint_meeting_now(
        reason="r", recorded_at=LATER, **ACTOR),
    "decline joint meeting proposal": lambda c: c.decline_joint_meeting(
        reason="r", recorded_at=LATER, **ACTOR),
    "convene government meeting": lambda c: c.convene_government_meeting(
        attendees=["leader"], meeting_at=LATER, reason="r", recorded_at=LATER, **ACTOR),
    "conclude government meeting": lambda c: c.conclude_government_meeting(
        outcome="sector-led approach agreed", summary="s", reason="r", recorded_at=LATER,
        **ACTOR),
    "confirm escalation": lambda c: c.confirm_escalation(reason="r", recorded_at=LATER, **ACTOR),
    "decline escalation": lambda c: c.decline_escalation(reason="r", recorded_at=LATER, **ACTOR),
    "pause deadline": lambda c: c.pause_deadline(
        deadline=next(iter(c.deadlines), "diagnosis"), reason="r", recorded_at=LATER, **ACTOR),
    "resume deadline": lambda c: c.resume_deadline(
        deadline=next(iter(c.paused_deadlines), "diagnosis"), reason="r", recorded_at=LATER,
        **ACTOR),
    "close case": lambda c: c.close(outcome="improved and handed back",
                                    exit_strategy=EXIT_STRATEGY, recorded_at=LATER, **ACTOR),
    "reopen case": lambda c: c.reopen(reason="r", recorded_at=LATER, **ACTOR),
    "record follow-up review": lambda c: c.record_follow_up_review(
        judgement="improvement sustained", notes="n", recorded_at=LATER, **ACTOR),
    "reassign case": lambda c: c.reassign(
        owner=Person("olive", "coordinator", OPEN_CASE["region"], active=True), reason="r",
        recorded_at=LATER, **ACTOR),
    "grant confidential access": lambda c: c.grant_confidential_access(
        grantee=Person("ivy", "inspector", None, active=True), reason="r",
        recorded_at=LATER, **ACTOR),
    "revoke confidential access": lambda c: c.revoke_confidential_access(
        grantee=next(iter(c.confidential_access), "ines"), reason="r", recorded_at=LATER,
        **ACTOR),
    "attach document": lambda c: c.attach_document(
        title="Letter", kind="letter",
        step="the closure" if c.status == "closed" else "the case as a whole", step_ref="",
        confidentiality="normal", stored=StoredFile("a" * 64, 10, "application/pdf", "l.pdf"),
        recorded_at=LATER, **ACTOR),
}


def requested() -> Case:
    case = drafted()
    case.ask_council_to_agree(note="", recorded_at=NOW, **ACTOR)
    return case


def supported() -> Case:
    case = agreed()
    case.commission_support(provider="IDeA", description="d", problem_natures=["capability"],
                            cost="1", reason="r", recorded_at=NOW, commission_id="commission-a",
                            **ACTOR)
    case.deploy_peer(peer_id="p", peer_council="Southshire", role="r", reason="r",
                     recorded_at=NOW, **ACTOR)
    case.grant_confidential_access(grantee=Person("ines", "inspector", None, active=True),
                                   reason="r", recorded_at=NOW, **ACTOR)
    case.pause_deadline(deadline="next review", reason="r", recorded_at=NOW, **ACTOR)
    return case


def proposed() -> Case:
    case = opened()
    case.propose_joint_meeting(reason="Stuck", proposal_key="joint-1", recorded_at=NOW,
                               actor_id="timetable")
    case.propose_escalation(reason="Stuck", proposal_key="p-1", recorded_at=NOW,
                            actor_id="timetable")
    return case


def awaiting_summary() -> Case:
    case = opened()
    case.hold_joint_local_meeting(outcome="regulator not satisfied", reason="r",
                                  recorded_at=NOW, **ACTOR,
                                  attendees=[{"kind": "audit body", "name": "A"}])
    return case


def at_government_meeting() -> Case:
    case = awaiting_summary()
    case.record_joint_meeting_summary(summary="s", recorded_at=NOW, **ACTOR)
    case.change_stage(to_stage="government meeting", trigger="person", reason="Red flag",
                      recorded_at=NOW, **ACTOR)
    case.convene_government_meeting(attendees=["leader"], meeting_at=NOW, reason="r",
                                    recorded_at=NOW, **ACTOR)
    return case


def closed() -> Case:
    case = agreed()
    case.close(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
               recorded_at=NOW, **ACTOR)
    return case


STAGES: dict[str, Callable[[], Case]] = {
    "opened": opened, "diagnosed": diagnosed, "drafted": drafted, "requested": requested,
    "agreed": agreed, "supported": supported, "proposed": proposed,
    "awaiting summary": awaiting_summary, "at government meeting": at_government_meeting,
    "closed": closed,
}


def test_every_command_has_its_precondition_and_a_body_to_try():
    assert sorted(COMMANDS) == sorted(PRECONDITIONS)


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("action", sorted(PRECONDITIONS))
def test_a_step_is_offered_exactly_when_the_case_accepts_it(stage, action):
    case = STAGES[stage]()
    why_not = offered_now(case)[action]
    attempt = deepcopy(case)
    try:
        COMMANDS[action](attempt)
    except DomainError as refused:
        assert why_not, f"{action} offered on a {stage} case but refused: {refused.message}"
        return
    assert not why_not, f"{action} not offered on a {stage} case ({why_not}) but accepted"


def test_each_stage_offers_something_and_withholds_something():
    for stage, build in STAGES.items():
        offered = offered_now(build())
        assert any(not why for why in offered.values()), stage
        assert any(offered.values()), stage


def test_reopening_is_not_offered_on_an_open_case_nor_agreement_once_agreed():
    assert offered_now(opened())["reopen case"] == "only a closed case can be reopened"
    assert "already agreed" in offered_now(agreed())["agree support plan"]
    assert "before the council agrees" in offered_now(drafted())["commission support"]


def _status(case: Case, action: str) -> TaskStatus:
    return next(t.status for t in tasks(case) if t.action == action)


def test_the_plan_waits_for_the_council_once_asked_and_is_done_once_agreed():
    assert _status(diagnosed(), "agree support plan") is TaskStatus.CANNOT_START
    assert _status(requested(), "ask council to agree plan") is TaskStatus.DONE
    assert _status(requested(), "agree support plan") is TaskStatus.WAITING_FOR_COUNCIL
    assert _status(agreed(), "agree support plan") is TaskStatus.DONE
    assert _status(opened(), "review progress") is TaskStatus.CANNOT_START


def test_the_council_is_asked_once_per_revision():
    case = requested()
    assert offered_now(case)["ask council to agree plan"]
    case.agree_plan(reason="Yes", recorded_at=NOW, **COUNCIL)
    case.revise_plan(actions=ACTIONS, reason="Changed", recorded_at=NOW, **ACTOR)
    assert not offered_now(case)["ask council to agree plan"]
    assert case.agreement_requested is None


def test_a_proposed_joint_local_meeting_is_a_task_to_hold_until_held_or_declined():
    assert "record joint local meeting" in [t.action for t in tasks(proposed())]
    assert "record joint local meeting" not in [t.action for t in tasks(opened())]


def test_a_closed_case_lists_its_follow_up_review_and_reopening():
    assert [t.action for t in tasks(closed())] == ["record follow-up review", "reopen case"]
