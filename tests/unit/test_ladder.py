"""The ladder as seed 004 has it: the council's agreement, the red flag, joint local meetings
with their attendees, outcomes and summaries, and the joint meeting automation proposes."""

from datetime import timedelta

import pytest

from domain.calendar import add_working_days
from domain.errors import InvalidField, RuleViolation
from tests.unit.case_builder import ACTOR, NOW, opened, types

COUNCIL_AT_TABLE = dict(kind="council or partnership", name="Leader of the council")
GO = dict(kind="government office", name="Locality manager")
AUDIT = dict(kind="audit body", name="Relationship manager")
EVERYONE = [COUNCIL_AT_TABLE, GO, AUDIT]


def refused(case, command, **kwargs) -> RuleViolation:
    version = case.version
    with pytest.raises(RuleViolation) as refusal:
        getattr(case, command)(**kwargs)
    assert case.version == version
    return refusal.value


def meeting(case, outcome, attendees=EVERYONE, **extra):
    case.hold_joint_local_meeting(outcome=outcome, reason="The regulator's concerns stand",
                                  attendees=attendees, recorded_at=NOW, **ACTOR, **extra)
    return case


def move(to_stage):
    return dict(to_stage=to_stage, trigger="person", reason="r", recorded_at=NOW, **ACTOR)


def test_regulator_not_satisfied_raises_the_red_flag_and_opens_only_the_government_route():
    case = opened()
    assert refused(case, "change_stage",
                   **move("government meeting")).rule == "government_meeting_needs_red_flag"
    meeting(case, "regulator not satisfied")
    assert case.red_flag["reason"] == "The regulator's concerns stand"
    assert case.red_flag["raised_by"] == "coordinator-1"
    assert types(case) == ["ConcernRaised", "JointLocalMeetingHeld", "RedFlagRaised"]
    assert refused(case, "change_stage", **move("RIEP")).rule == \
        "referral_needs_council_agreement"
    case.change_stage(**move("government meeting"))
    assert case.stage == "government meeting"


def test_a_red_flagged_case_at_local_is_proposed_for_a_government_meeting_not_the_riep():
    case = meeting(opened(), "regulator not satisfied")
    assert case.next_rung() == "government meeting"
    with pytest.raises(RuleViolation) as refusal:
        case.escalate(reason="Missed", escalation_key="e1", recorded_at=NOW, actor_id="wf")
    assert refusal.value.rule == "automation_never_convenes_government_meeting"
    assert case.propose_escalation(reason="Missed", proposal_key="p1", recorded_at=NOW,
                                   actor_id="wf")
    case.confirm_escalation(reason="Meet before any notice", recorded_at=NOW, **ACTOR)
    assert case.stage == "government meeting"


def test_a_referral_at_a_joint_meeting_needs_the_council_among_its_attendees():
    case = opened()
    refusal = refused(case, "hold_joint_local_meeting", outcome="refer to RIEP with agreement",
                      reason="r", attendees=[GO, AUDIT], recorded_at=NOW, **ACTOR)
    assert (refusal.rule, refusal.field) == ("referral_needs_council_agreement", "attendees")
    meeting(case, "refer to RIEP with agreement")
    assert case.council_agrees_referral and case.red_flag is None
    case.change_stage(**move("RIEP"))
    assert case.joint_meetings[0]["attendees"] == EVERYONE


@pytest.mark.parametrize("attendees", [None, [], [dict(kind="minister", name="x")],
                                       [dict(kind="audit body", name=" ")], "council"])
def test_a_joint_meeting_names_who_attended(attendees):
    with pytest.raises(InvalidField) as refusal:
        meeting(opened(), "strong local plan", attendees=attendees)
    assert refusal.value.field.startswith("attendees")


def test_a_strong_local_plan_is_reviewed_at_the_next_joint_meeting():
    case = meeting(opened(), "strong local plan")
    assert case.deadlines["next joint meeting"] == add_working_days(NOW, 60)
    given = NOW + timedelta(days=40)
    case.record_joint_meeting_summary(summary="Plan is strong", recorded_at=NOW, **ACTOR)
    meeting(case, "strong local plan", next_joint_meeting_due=given)
    assert case.deadlines["next joint meeting"] == given
    case.record_joint_meeting_summary(summary="Still strong", recorded_at=NOW, **ACTOR)
    meeting(case, "refer to RIEP with agreement")  # the review meeting meets the deadline
    assert "next joint meeting" not in case.deadlines
    with pytest.raises(InvalidField) as refusal:
        meeting(opened(), "strong local plan", next_joint_meeting_due=NOW)
    assert refusal.value.field == "next_joint_meeting_due"


def test_every_joint_meeting_has_its_summary_due_within_five_working_days():
    case = opened()
    refusal = refused(case, "record_joint_meeting_summary", summary="s", recorded_at=NOW,
                      **ACTOR)
    assert refusal.rule == "joint_meeting_held_first"
    meeting(case, "regulator not satisfied")
    assert case.deadlines["joint meeting summary"] == add_working_days(NOW, 5)
    assert refused(case, "hold_joint_local_meeting", outcome="strong local plan", reason="r",
                   attendees=EVERYONE, recorded_at=NOW,
                   **ACTOR).rule == "joint_meeting_summary_first"
    case.record_joint_meeting_summary(summary="GO and the Audit Commission to act",
                                      recorded_at=NOW, **ACTOR)
    assert "joint meeting summary" not in case.deadlines
    assert case.joint_meetings[-1]["summary"] == "GO and the Audit Commission to act"


def test_automation_proposes_a_joint_meeting_once_and_a_coordinator_may_decline_it():
    case = opened()
    assert refused(case, "decline_joint_meeting", reason="r", recorded_at=NOW,
                   **ACTOR).rule == "no_joint_meeting_proposed"
    propose = dict(reason="Stuck at local", recorded_at=NOW, actor_id="wf")
    assert case.propose_joint_meeting(proposal_key="j1", **propose) is True
    assert case.propose_joint_meeting(proposal_key="j2", **propose) is False
    assert case.remind_of_joint_meeting(recipient="c", reminder_key="joint local meeting:1",
                                        actor_id="wf") is True
    assert case.remind_of_joint_meeting(recipient="c", reminder_key="joint local meeting:1",
                                        actor_id="wf") is False
    later = NOW + timedelta(days=3)
    case.decline_joint_meeting(reason="New chief executive starts soon", recorded_at=later,
                               **ACTOR)
    assert case.joint_meeting_proposal is None and case.stage_since == later
    assert case.remind_of_joint_meeting(recipient="c", reminder_key="joint local meeting:2",
                                        actor_id="wf") is False
    assert types(case)[-3:] == ["JointMeetingProposed", "ReminderIssued",
                                "JointMeetingProposalDeclined"]


def test_holding_the_joint_meeting_ends_its_proposal():
    case = opened()
    case.propose_joint_meeting(reason="Stuck", proposal_key="j1", recorded_at=NOW,
                               actor_id="wf")
    meeting(case, "strong local plan")
    assert case.joint_meeting_proposal is None
