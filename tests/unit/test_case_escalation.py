"""Stage changes record their trigger; proposals wait for a coordinator; keys stop repeats."""

import pytest

from domain.confidentiality import WITHHELD, redact_case, redact_event
from domain.errors import RuleViolation
from tests.unit.case_builder import ACTOR, COUNCIL, NOW, opened, types


def referable():
    case = opened()
    case.acknowledge_need(reason="We asked for help", recorded_at=NOW, **COUNCIL)
    case.collect_events()
    return case


def test_a_proposal_is_recorded_once_per_key_and_only_one_waits():
    case = referable()
    propose = dict(reason="Diagnosis missed", recorded_at=NOW, actor_id="wf")
    assert case.propose_escalation(proposal_key="p1", **propose) is True
    assert case.propose_escalation(proposal_key="p1", **propose) is False
    assert case.propose_escalation(proposal_key="p2", **propose) is False
    assert case.pending_escalation["to_stage"] == "RIEP"
    assert types(case) == ["EscalationProposed"]


def test_a_confirmed_proposal_moves_the_case_up_by_the_person_who_confirmed():
    case = referable()
    case.propose_escalation(reason="Missed", proposal_key="p1", recorded_at=NOW, actor_id="wf")
    case.confirm_escalation(reason="Agreed, refer", recorded_at=NOW, **ACTOR)
    events = case.collect_events()
    assert [type(e).__name__ for e in events] == [
        "EscalationProposed", "EscalationConfirmed", "StageChanged"]
    assert events[-1].trigger == "person" and events[-1].actor_id == "coordinator-1"
    assert case.stage == "RIEP" and case.pending_escalation is None


def test_a_declined_proposal_leaves_the_stage_and_allows_a_later_one():
    case = referable()
    case.propose_escalation(reason="Missed", proposal_key="p1", recorded_at=NOW, actor_id="wf")
    case.decline_escalation(reason="Plan is now on track", recorded_at=NOW, **ACTOR)
    assert case.stage == "local" and case.pending_escalation is None
    assert case.propose_escalation(reason="Missed again", proposal_key="p2", recorded_at=NOW,
                                   actor_id="wf") is True


def test_the_automated_escalation_is_keyed_and_never_moves_a_case_to_a_government_meeting():
    case = referable()
    up = dict(reason="Reminders exhausted", recorded_at=NOW, actor_id="wf")
    assert case.escalate(escalation_key="e1", **up) is True
    assert case.escalate(escalation_key="e1", **up) is False
    assert case.stage == "RIEP"
    version = case.version
    with pytest.raises(RuleViolation) as refusal:
        case.escalate(escalation_key="e2", **up)
    assert refusal.value.rule == "automation_never_convenes_government_meeting"
    assert case.version == version and case.stage == "RIEP"
    assert case.propose_escalation(proposal_key="e2", **up) is True  # a proposal it may make
    assert case.pending_escalation["to_stage"] == "government meeting"
    changes = [e for e in case.collect_events() if type(e).__name__ == "StageChanged"]
    assert [(e.trigger, e.actor_role) for e in changes] == [("automated", "automation")]


def test_a_stage_moves_back_down_when_resolved_recording_who_and_why():
    case = referable()
    case.change_stage(to_stage="RIEP", trigger="person", reason="Refer", recorded_at=NOW,
                      **ACTOR)
    case.change_stage(to_stage="local", trigger="person", reason="Resolved", recorded_at=NOW,
                      **ACTOR)
    last = case.collect_events()[-1]
    assert (last.from_stage, last.to_stage, last.reason) == ("RIEP", "local", "Resolved")


def test_a_chatham_house_source_is_withheld_but_its_content_kept():
    case = opened()
    case.add_intelligence(content="Finance director resigned", source="GO relationship manager",
                          confidentiality="Chatham House", recorded_at=NOW, **ACTOR)
    case.add_intelligence(content="Budget gap of 4m", source="Annual audit letter",
                          confidentiality="normal", recorded_at=NOW, **ACTOR)
    event = case.collect_events()[1]
    assert event.source == "GO relationship manager"  # the stream keeps it
    view = {"type": "IntelligenceAdded", "data": {k: v for k, v in vars(event).items()}}
    shown = redact_event(view)
    assert shown["data"]["source"] == WITHHELD
    assert shown["data"]["content"] == "Finance director resigned"
    assert view["data"]["source"] == "GO relationship manager"  # the original is untouched
    redacted = redact_case({"intelligence": case.intelligence})["intelligence"]
    assert [i["source"] for i in redacted] == [WITHHELD, "Annual audit letter"]
