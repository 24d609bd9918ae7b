"""Closing a case (its criteria, its exit strategy), the follow-up review a year on,
the risk table's columns and the LGA asked to broker: each rule refused and allowed."""

from datetime import timedelta

import pytest

from domain.deadlines import DeadlinePolicy
from domain.errors import InvalidField, RuleViolation
from domain.policy import EscalationPolicy
from domain.timetable import timetable
from services.reminders.escalation_steps import case_facts
from services.reminders.notice_text import StepFacts, write_notice
from tests.helpers import EXIT_STRATEGY
from tests.unit.case_builder import ACTOR, NOW, agreed, diagnosed, opened, types
from tests.unit.test_case_rules import COMMISSION, PEER, at_government_meeting, refused
from tests.unit.test_ladder import EVERYONE

IMPROVED = dict(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
                recorded_at=NOW, **ACTOR)
LATER = NOW + timedelta(days=30)


def closed(**overrides):
    case = agreed()
    case.close(**{**IMPROVED, **overrides})
    return case


# -- the exit strategy ----------------------------------------------------------------


def test_a_case_handed_back_as_improved_needs_an_exit_strategy():
    case = agreed()
    without = {k: v for k, v in IMPROVED.items() if k != "exit_strategy"}
    assert refused(case, "close", **without, exit_note="Back in its cycle") == \
        "exit_strategy_needed"
    case.close(**IMPROVED)
    assert case.closure["exit_strategy"] == EXIT_STRATEGY


@pytest.mark.parametrize("part", ["handover", "led_by"])
def test_the_exit_strategy_says_how_the_councils_cycle_takes_over_and_who_leads_it(part):
    case = agreed()
    with pytest.raises(RuleViolation) as refusal:
        case.close(**{**IMPROVED, "exit_strategy": {**EXIT_STRATEGY, part: "  "}})
    assert refusal.value.rule == "exit_strategy_needed"
    assert refusal.value.field == f"exit_strategy.{part}"
    assert case.status == "open"


def test_closed_by_intervention_the_case_needs_an_exit_note_not_a_strategy():
    case = at_government_meeting()
    case.convene_government_meeting(attendees=["council leader"], meeting_at=NOW,
                                    reason="Before any notice", recorded_at=NOW, **ACTOR)
    case.conclude_government_meeting(outcome="intervention", summary="Notice to be served",
                                     reason="No credible plan", recorded_at=NOW, **ACTOR)
    intervention = dict(outcome="government intervention", recorded_at=NOW, **ACTOR)
    with pytest.raises(InvalidField) as refusal:
        case.close(**intervention)
    assert refusal.value.field == "exit_note"
    case.close(**intervention, exit_note="Improvement notice served")
    assert case.status == "closed" and case.deadlines == {}  # no follow-up review


# -- nothing still running ---------------------------------------------------------------


def test_a_case_is_not_closed_while_commissioned_support_runs():
    case = agreed()
    case.commission_support(**COMMISSION, commission_id="c-1")
    assert refused(case, "close", **IMPROVED) == "commissions_end_first"
    case.end_commission(commission_id="c-1", reason="Coaching delivered", recorded_at=LATER,
                        **ACTOR)
    assert case.commissions[0]["status"] == "ended"
    assert refused(case, "end_commission", commission_id="c-1", reason="again",
                   recorded_at=LATER, **ACTOR) == "commission_active"
    case.close(**IMPROVED)
    assert case.status == "closed"


def test_an_unknown_commission_is_not_ended():
    with pytest.raises(InvalidField) as refusal:
        agreed().end_commission(commission_id="nope", reason="r", recorded_at=NOW, **ACTOR)
    assert refusal.value.field == "commission_id"


def test_a_case_is_not_closed_while_a_peer_is_deployed():
    case = agreed()
    deployment = case.deploy_peer(**PEER)
    assert refused(case, "close", **IMPROVED) == "peer_deployments_end_first"
    case.end_peer_deployment(deployment_id=deployment, reason="Done", recorded_at=NOW, **ACTOR)
    case.close(**IMPROVED)


def test_a_case_is_not_closed_while_a_meeting_lacks_its_conclusion_and_summary():
    case = at_government_meeting()
    case.convene_government_meeting(attendees=["council leader"], meeting_at=NOW,
                                    reason="Before any notice", recorded_at=NOW, **ACTOR)
    assert refused(case, "close", **IMPROVED) == "meetings_concluded_first"
    case.conclude_government_meeting(outcome="sector-led approach agreed",
                                     summary="The RIEP's plan is credible", reason="Feasible",
                                     recorded_at=NOW, **ACTOR)
    case.close(**IMPROVED)
    assert case.status == "closed"


def test_a_joint_local_meeting_awaiting_its_summary_holds_the_closure():
    case = agreed()
    case.hold_joint_local_meeting(outcome="strong local plan", reason="Plan credible",
                                  attendees=EVERYONE, recorded_at=NOW, **ACTOR)
    assert refused(case, "close", **IMPROVED) == "meetings_concluded_first"
    case.record_joint_meeting_summary(summary="Stay local; review at the next meeting",
                                      recorded_at=NOW, **ACTOR)
    case.close(**IMPROVED)


# -- the follow-up review, twelve months on -----------------------------------------------


def test_a_case_closed_as_improved_is_followed_up_twelve_months_later():
    case = closed()
    assert case.deadlines == {"follow-up review": NOW + timedelta(days=365)}
    assert case.closure["follow_up_due"] == NOW + timedelta(days=365)
    shorter = closed(policy=DeadlinePolicy(follow_up_review=DeadlinePolicy().diagnosis))
    assert shorter.deadlines["follow-up review"] < NOW + timedelta(days=30)  # region policy


def test_a_follow_up_review_is_recorded_only_when_one_is_due():
    review = dict(judgement="improvement sustained", notes="Held", recorded_at=LATER, **ACTOR)
    assert refused(agreed(), "record_follow_up_review", **review) == "follow_up_review_due"
    case = closed()
    case.record_follow_up_review(**review)
    assert case.status == "closed" and case.deadlines == {}
    assert case.closure["follow_up_review"]["judgement"] == "improvement sustained"
    assert refused(case, "record_follow_up_review", **review) == "follow_up_review_due"


def test_a_follow_up_review_judging_reopen_reopens_the_case_with_its_notes():
    case = closed()
    case.record_follow_up_review(judgement="reopen", notes="Finances slipped again",
                                 recorded_at=LATER, **ACTOR)
    assert case.status == "open" and case.closure is None
    assert types(case)[-2:] == ["FollowUpReviewed", "CaseReopened"]
    assert case.follow_up_reviews[0]["judgement"] == "reopen"


def test_reopening_before_the_follow_up_review_ends_the_wait_for_it():
    case = closed()
    case.reopen(reason="New inspectorate report", recorded_at=LATER, **ACTOR)
    assert "follow-up review" not in case.deadlines


def test_a_closed_case_is_reminded_of_its_follow_up_review_and_of_nothing_else():
    case = closed()
    steps = timetable(case_facts(case), EscalationPolicy(), NOW)
    assert steps and {s.deadline for s in steps} == {"follow-up review"}
    assert {s.action for s in steps} == {"remind"}  # never an escalation
    assert case.issue_reminder(deadline="follow-up review", recipient="case owner",
                               reminder_key=steps[0].key, actor_id="workflow")
    case.record_follow_up_review(judgement="improvement sustained", notes="Held",
                                 recorded_at=LATER, **ACTOR)
    assert timetable(case_facts(case), EscalationPolicy(), LATER) == []


# -- the risk table's columns ------------------------------------------------------------


def test_the_risk_entry_carries_owner_solution_controls_and_indicators():
    case = opened()
    case.assess_risk(kind="inherent", impact="high", likelihood="high", reason="Governance",
                     owner="RIEP and the council", management_solution="Resolve by negotiation",
                     key_controls="LGA intervention/consultation", recorded_at=NOW, **ACTOR)
    case.assess_risk(kind="residual", impact="low", likelihood="high", reason="Controls work",
                     risk_indicators=["Report to the RIEP steering group"], recorded_at=NOW,
                     **ACTOR)
    assert case.risk_controls == {
        "owner": "RIEP and the council", "management_solution": "Resolve by negotiation",
        "key_controls": ["LGA intervention/consultation"],
        "risk_indicators": ["Report to the RIEP steering group"]}  # the later kept the rest
    assert case.risk["inherent"]["score"] == 9 and case.risk["residual"]["score"] == 3


def test_a_blank_key_control_is_refused():
    with pytest.raises(InvalidField) as refusal:
        opened().assess_risk(kind="inherent", impact="high", likelihood="low", reason="r",
                             key_controls=["Consultation", " "], recorded_at=NOW, **ACTOR)
    assert refusal.value.field == "key_controls[1]"


# -- a political diagnosis ---------------------------------------------------------------


def test_a_political_diagnosis_asks_the_lga_to_broker():
    case = opened()
    case.record_diagnosis(summary="Leader and cabinet at odds", problem_natures=["political"],
                          recorded_at=NOW, **ACTOR)
    assert types(case)[-2:] == ["DiagnosisRecorded", "LGAAskedToBroker"]
    assert case.lga_brokering["asked_at"] == NOW and "politicians" in \
        case.lga_brokering["reason"]


def test_a_diagnosis_with_no_political_problem_asks_nothing_of_the_lga():
    case = diagnosed()
    assert "LGAAskedToBroker" not in types(case) and case.lga_brokering is None


def test_the_follow_up_reminder_says_what_to_review_and_offers_no_pause():
    due = NOW + timedelta(days=365)
    facts = StepFacts(authority="Northshire County Council", region="North West",
                      stage="local", action="remind", deadline="follow-up review", due=due,
                      at=due - timedelta(days=2), to_stage=None)
    text = write_notice(facts, due - timedelta(days=2), "")
    assert text.subject == "Northshire County Council: follow-up review due Tuesday 23 " \
                           "November 2027"
    assert "record the follow-up review on the case" in text.text
    assert "pause" not in text.text  # a closed case's deadline is not paused
