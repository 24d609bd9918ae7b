"""Every lifecycle rule of the case refuses by name and records nothing."""

from datetime import timedelta

import pytest

from domain.errors import InvalidField, RuleViolation
from tests.helpers import EXIT_STRATEGY
from tests.unit.case_builder import ACTOR, COUNCIL, NOW, agreed, diagnosed, drafted, opened


def refused(case, command, **kwargs) -> str:
    """Run a command that must break a rule; the case's version must not move."""
    version = case.version
    with pytest.raises(RuleViolation) as refusal:
        getattr(case, command)(**kwargs)
    assert case.version == version
    return refusal.value.rule


def at_riep(case=None):
    case = case or agreed()
    case.acknowledge_need(reason="We want help", recorded_at=NOW, **COUNCIL)
    case.change_stage(to_stage="RIEP", trigger="person", reason="Agreed referral",
                      recorded_at=NOW, **ACTOR)
    return case


def at_government_meeting():
    case = at_riep()
    case.change_stage(to_stage="government meeting", trigger="person",
                      reason="Improvement notice contemplated", recorded_at=NOW, **ACTOR)
    return case


MEETING = [dict(kind="council or partnership", name="Leader of the council"),
           dict(kind="government office", name="Locality manager"),
           dict(kind="audit body", name="Relationship manager")]


PEER = dict(peer_id="peer-7", peer_council="Southshire District Council", role="officer peer",
            reason="Children's services expertise", recorded_at=NOW, **ACTOR)
COMMISSION = dict(provider="IDeA", description="Leadership coaching",
                  problem_natures=["capability"], cost=5000, reason="Best fit",
                  recorded_at=NOW, **ACTOR)


def test_no_plan_is_agreed_without_a_diagnosis():
    case = opened()
    case.draft_plan(summary="Early plan", actions=[dict(
        description="x", owner="o", provider="p", due="2027-01-01", measure="m")],
        adviser_id="adviser-1", recorded_at=NOW, **ACTOR)
    assert refused(case, "agree_plan", reason="ok", recorded_at=NOW,
                   **COUNCIL) == "plan_needs_diagnosis"


def test_no_plan_is_agreed_before_one_is_drafted():
    assert refused(diagnosed(), "agree_plan", reason="ok", recorded_at=NOW,
                   **COUNCIL) == "plan_drafted_first"


@pytest.mark.parametrize("missing", ["owner", "due", "measure"])
def test_every_plan_action_has_an_owner_due_date_and_measure(missing):
    action = dict(description="x", owner="o", provider="p", due="2027-01-01", measure="m")
    action[missing] = "  "
    case = diagnosed()
    with pytest.raises(RuleViolation) as refusal:
        case.draft_plan(summary="p", actions=[action], adviser_id="a", recorded_at=NOW, **ACTOR)
    assert refusal.value.rule == "plan_actions_are_smart"
    assert refusal.value.field == f"actions[0].{missing}"
    assert case.plan is None


def test_a_drafted_plan_is_not_live_so_nothing_is_commissioned_or_deployed():
    case = drafted()
    assert refused(case, "commission_support", **COMMISSION) == "plan_agreed_first"
    assert refused(case, "deploy_peer", **PEER) == "plan_agreed_first"


def test_a_revised_plan_needs_the_councils_agreement_again():
    case = agreed()
    case.revise_plan(actions=case.plan["actions"][:1], reason="Caseloads solved",
                     recorded_at=NOW, **ACTOR)
    assert refused(case, "deploy_peer", **PEER) == "plan_agreed_first"
    case.agree_plan(reason="Revision agreed", recorded_at=NOW, **COUNCIL)
    assert case.deploy_peer(**PEER) == "deployment-1"


@pytest.mark.parametrize("council", ["Northshire County Council", "northshire county council "])
def test_no_peer_is_deployed_to_their_own_council(council):
    assert refused(agreed(), "deploy_peer",
                   **dict(PEER, peer_council=council)) == "peer_own_council"


def test_a_conflict_of_interest_is_not_the_commissioners_to_declare():
    """Conflicts are computed from the registers (domain/offers.py), never self-declared."""
    with pytest.raises(TypeError):
        agreed().commission_support(**COMMISSION, conflict_of_interest=False)


def test_no_visit_is_recorded_under_an_ended_deployment():
    case = agreed()
    deployment = case.deploy_peer(**PEER)
    case.end_peer_deployment(deployment_id=deployment, reason="Done", recorded_at=NOW, **ACTOR)
    assert refused(case, "record_peer_visit", deployment_id=deployment, visited_at=NOW,
                   notes="n", recorded_at=NOW, **ACTOR) == "peer_deployment_active"


def test_no_stage_is_skipped_up_or_down():
    case = at_riep(agreed())
    assert case.stage == "RIEP"
    case.change_stage(to_stage="government meeting", trigger="automated", reason="Missed",
                      recorded_at=NOW, actor_id="escalation-workflow", actor_role="automation")
    assert refused(case, "change_stage", to_stage="local", trigger="person",
                   reason="Resolved", recorded_at=NOW, **ACTOR) == "no_stage_skipped"
    assert refused(opened(), "change_stage", to_stage="government meeting", trigger="person",
                   reason="x", recorded_at=NOW,
                   **ACTOR) == "government_meeting_needs_red_flag"


def test_a_referral_to_the_riep_needs_the_councils_agreement():
    case = opened()
    move = dict(to_stage="RIEP", trigger="person", reason="Refer", recorded_at=NOW, **ACTOR)
    assert refused(case, "change_stage", **move) == "referral_needs_council_agreement"
    case.hold_joint_local_meeting(outcome="strong local plan", reason="Plan in place",
                                  attendees=MEETING, recorded_at=NOW, **ACTOR)
    assert refused(case, "change_stage", **move) == "referral_needs_council_agreement"


def test_a_joint_local_meeting_referring_the_case_with_the_council_grounds_a_referral():
    case = opened()
    case.hold_joint_local_meeting(outcome="refer to RIEP with agreement", reason="Met",
                                  attendees=MEETING, recorded_at=NOW, **ACTOR)
    case.change_stage(to_stage="RIEP", trigger="person", reason="Refer", recorded_at=NOW, **ACTOR)
    assert case.stage == "RIEP"


def test_a_council_that_declines_support_withdraws_its_agreement():
    case = opened()
    case.acknowledge_need(reason="Yes", recorded_at=NOW, **COUNCIL)
    case.decline_support(reason="Changed our minds", recorded_at=NOW, **COUNCIL)
    assert refused(case, "change_stage", to_stage="RIEP", trigger="person", reason="Refer",
                   recorded_at=NOW, **ACTOR) == "referral_needs_council_agreement"


def test_no_intervention_without_a_government_meeting_first():
    close = dict(outcome="government intervention", exit_note="Notice served",
                 recorded_at=NOW, **ACTOR)
    assert refused(at_riep(), "close", **close) == "intervention_needs_government_meeting"
    case = at_government_meeting()
    case.convene_government_meeting(attendees=["council leader"], meeting_at=NOW,
                                    reason="Before any notice", recorded_at=NOW, **ACTOR)
    # a meeting not yet concluded refuses any closure, whatever its outcome, first
    assert refused(case, "close", **close) == "meetings_concluded_first"
    case.conclude_government_meeting(outcome="sector-led approach agreed", summary="s",
                                     reason="Feasible", recorded_at=NOW, **ACTOR)
    assert refused(case, "close", **close) == "intervention_needs_government_meeting"


def test_a_government_meeting_is_convened_only_at_its_stage_and_concluded_after():
    meeting = dict(attendees=["leader"], meeting_at=NOW, reason="r", recorded_at=NOW, **ACTOR)
    assert refused(at_riep(), "convene_government_meeting",
                   **meeting) == "government_meeting_needs_stage"
    case = at_government_meeting()
    assert refused(case, "conclude_government_meeting", outcome="intervention", summary="s",
                   reason="r", recorded_at=NOW, **ACTOR) == "government_meeting_convened_first"
    case.convene_government_meeting(**meeting)
    assert refused(case, "convene_government_meeting",
                   **meeting) == "one_government_meeting_at_a_time"


def test_a_joint_local_meeting_is_held_only_while_the_case_is_local():
    assert refused(at_riep(), "hold_joint_local_meeting", outcome="strong local plan",
                   reason="r", attendees=MEETING, recorded_at=NOW,
                   **ACTOR) == "joint_meeting_at_local_stage"


def test_nothing_is_recorded_on_a_closed_case_except_reopening():
    case = agreed()
    case.close(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY, recorded_at=NOW,
               **ACTOR)
    assert list(case.deadlines) == ["follow-up review"]  # the only deadline left
    assert refused(case, "add_intelligence", content="c", source="s",
                   confidentiality="normal", recorded_at=NOW,
                   **ACTOR) == "closed_case_is_read_only"
    assert refused(case, "deploy_peer", **PEER) == "closed_case_is_read_only"
    assert case.issue_reminder(deadline="next review", recipient="o", reminder_key="k",
                               actor_id="wf") is False
    case.reopen(reason="Concerns returned", recorded_at=NOW, **ACTOR)
    assert case.status == "open" and case.closure is None


def test_only_a_closed_case_reopens():
    assert refused(opened(), "reopen", reason="r", recorded_at=NOW,
                   **ACTOR) == "only_a_closed_case_reopens"


def test_escalation_decisions_need_a_pending_proposal():
    case = opened()
    assert refused(case, "confirm_escalation", reason="r", recorded_at=NOW,
                   **ACTOR) == "no_escalation_pending"
    assert refused(case, "decline_escalation", reason="r", recorded_at=NOW,
                   **ACTOR) == "no_escalation_pending"


def test_a_confirmed_proposal_still_obeys_the_referral_rule():
    case = opened()
    assert case.propose_escalation(reason="Diagnosis missed", proposal_key="p1",
                                   recorded_at=NOW, actor_id="wf")
    assert refused(case, "confirm_escalation", reason="r", recorded_at=NOW,
                   **ACTOR) == "referral_needs_council_agreement"


def test_decisions_record_a_reason():
    case = opened()
    with pytest.raises(InvalidField) as refusal:
        case.acknowledge_need(reason=" ", recorded_at=NOW, **COUNCIL)
    assert refusal.value.field == "reason"


def test_a_progress_review_reports_every_measure_of_the_plan():
    case = agreed()
    with pytest.raises(InvalidField) as refusal:
        case.review_progress(measures={"Director in post": "on track"}, judgement="improving",
                             reason="r", recorded_at=NOW, **ACTOR)
    assert refusal.value.field == "measures" and "Caseloads under 20" in refusal.value.message
    with pytest.raises(InvalidField) as refusal:
        case.review_progress(measures={"Director in post": "on track",
                                       "Caseloads under 20": "nearly"},
                             judgement="improving", reason="r", recorded_at=NOW, **ACTOR)
    assert refusal.value.field == "measures[Caseloads under 20]"
    assert refused(drafted(), "review_progress", measures={}, judgement="improving",
                   reason="r", recorded_at=NOW, **ACTOR) == "plan_agreed_first"


def test_the_next_review_date_must_follow_the_review():
    with pytest.raises(InvalidField) as refusal:
        agreed().review_progress(
            measures={"Director in post": "on track", "Caseloads under 20": "off track"},
            judgement="no change", reason="r", recorded_at=NOW, **ACTOR,
            next_review_due=NOW - timedelta(days=1))
    assert refusal.value.field == "next_review_due"
