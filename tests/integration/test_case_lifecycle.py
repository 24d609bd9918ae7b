"""Three whole cases through the service on a real store (SQLite and PostgreSQL),
and every rule's refusal writing nothing."""

from datetime import UTC, datetime

import pytest

from domain.errors import RuleViolation
from services.cases.service import CaseService
from tests.helpers import EXIT_STRATEGY, OPEN_CASE, event_types
from tests.support_registers import seed_registers

C = dict(actor_id="coordinator-1", actor_role="coordinator")
COUNCIL = dict(actor_id="liaison-1", actor_role="authority liaison")
ADVISER = dict(actor_id="adviser-1", actor_role="adviser")
ACTIONS = [dict(description="Interim director", owner="Chief executive", provider="IDeA",
                cost=0, due="2027-03-31", measure="Director in post"),
           dict(description="Caseload review", owner="Director", provider="RIEP",
                cost=12000, due="2027-06-30", measure="Caseloads under 20")]
MEASURES = ["Director in post", "Caseloads under 20"]


def plan_agreed(cases: CaseService) -> object:
    """Concern, intelligence, risk, diagnosis, a reviewed plan the council agrees."""
    case_id = cases.open_case(**OPEN_CASE, **C)
    cases.add_intelligence(case_id, content="Director left", source="GO relationship manager",
                           confidentiality="Chatham House", **C)
    cases.assess_risk(case_id, kind="inherent", impact="high", likelihood="medium",
                      reason="Inadequate rating", **C)
    cases.record_diagnosis(case_id, summary="Leadership gap", problem_natures=["capability",
                           "capacity"], evidence=["Ofsted report"], root_causes=["Turnover"], **C)
    cases.draft_plan(case_id, summary="Stabilise", actions=ACTIONS, adviser_id="adviser-1",
                     **ADVISER)
    cases.review_plan(case_id, suggestions=["Add a member development strand"], **C)
    cases.agree_plan(case_id, reason="Co-designed with us", **COUNCIL)
    return case_id


def supported(cases: CaseService, case_id) -> None:
    ids = seed_registers(cases.env)
    cases.commission_support(case_id, offer_id=ids["offer"], days=3,
                             problem_natures=["capability"], reason="Best fit", **C)
    cases.deploy_peer(case_id, peer_id=ids["peer"], days=2, peer_user="peer-7",
                      role="officer peer", reason="Children's services expertise", **C)
    cases.record_peer_visit(case_id, deployment_id="deployment-1",
                            visited_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
                            notes="Met the lead member", actor_id="peer-7", actor_role="peer")


def end_support(cases: CaseService, case_id, reason: str) -> None:
    """A closure waits for the peer's deployment and the commission to end."""
    cases.end_peer_deployment(case_id, deployment_id="deployment-1", reason=reason, **C)
    for commission in cases.get_case(case_id)["commissions"]:
        cases.end_commission(case_id, commission_id=commission["commission_id"],
                             reason=reason, **C)


def review(cases: CaseService, case_id, status: str, judgement: str,
           measures=tuple(MEASURES)) -> None:
    cases.review_progress(case_id, measures={m: status for m in measures},
                          judgement=judgement, reason="Quarterly review", **ADVISER)


def test_a_case_improves_and_is_handed_back(cases: CaseService):
    case_id = plan_agreed(cases)
    supported(cases, case_id)
    review(cases, case_id, "on track", "improving")
    cases.assess_risk(case_id, kind="residual", impact="medium", likelihood="low",
                      reason="Director in post", **C)
    cases.end_peer_deployment(case_id, deployment_id="deployment-1", reason="Work done", **C)
    [commission] = cases.get_case(case_id)["commissions"]
    cases.end_commission(case_id, commission_id=commission["commission_id"],
                         reason="Coaching delivered", **C)
    cases.close_case(case_id, outcome="improved and handed back",
                     exit_strategy=EXIT_STRATEGY, **C)
    case = cases.get_case(case_id)
    assert case["status"] == "closed" and list(case["deadlines"]) == ["follow-up review"]
    assert case["risk"]["inherent"]["score"] == 8 and case["risk"]["residual"]["score"] == 4
    assert case["deployments"]["deployment-1"]["status"] == "ended"
    assert case["closure"]["outcome"] == "improved and handed back"
    assert event_types(cases.history(case_id)) == [
        "ConcernRaised", "IntelligenceAdded", "RiskAssessed", "DiagnosisRecorded",
        "SupportPlanDrafted", "SupportPlanReviewed", "SupportPlanAgreed",
        "SupportCommissioned", "PeerDeployed", "PeerVisitRecorded", "ProgressReviewed",
        "RiskAssessed", "PeerDeploymentEnded", "SupportCommissionEnded", "CaseClosed"]


def escalated_to_government_meeting(cases: CaseService):
    case_id = plan_agreed(cases)
    supported(cases, case_id)
    review(cases, case_id, "off track", "deteriorating")
    cases.hold_joint_local_meeting(case_id, outcome="refer to RIEP with agreement",
                                   reason="Critical and not solved locally",
                                   attendees=[{"kind": "council or partnership",
                                               "name": "Leader of the council"}], **C)
    cases.record_joint_meeting_summary(case_id, summary="Referred to the RIEP, the council "
                                       "agreeing", **C)
    cases.change_stage(case_id, to_stage="RIEP", reason="Referred at the joint meeting", **C)
    assert cases.propose_escalation(case_id, reason="Reviews off track", proposal_key="p1")
    assert cases.get_case(case_id)["pending_escalation"]["to_stage"] == "government meeting"
    cases.confirm_escalation(case_id, reason="Improvement notice contemplated", **C)
    cases.convene_government_meeting(case_id, attendees=["council leader", "DCSF", "Ofsted",
                                                         "RIEP", "IDeA", "GO"],
                                     reason="Before any notice is served", **C)
    assert "meeting summary" in cases.get_case(case_id)["deadlines"]
    return case_id


def test_a_case_goes_to_a_government_meeting_and_back_down_to_sector_led_support(
        cases: CaseService):
    case_id = escalated_to_government_meeting(cases)
    cases.conclude_government_meeting(case_id, outcome="sector-led approach agreed",
                                      summary="IDeA to lead a peer team", reason="Feasible", **C)
    cases.change_stage(case_id, to_stage="RIEP", reason="Sector-led approach agreed", **C)
    cases.revise_plan(case_id, actions=ACTIONS[:1], reason="Refocused on leadership", **ADVISER)
    cases.agree_plan(case_id, reason="Revision agreed", **COUNCIL)
    review(cases, case_id, "on track", "improving", measures=MEASURES[:1])
    cases.change_stage(case_id, to_stage="local", reason="Resolved", **C)
    end_support(cases, case_id, "Done")
    cases.close_case(case_id, outcome="improved and handed back",
                     exit_strategy=EXIT_STRATEGY, **C)
    case = cases.get_case(case_id)
    assert case["stage"] == "local" and case["status"] == "closed"
    stages = [(e["data"]["from_stage"], e["data"]["to_stage"], e["data"]["trigger"])
              for e in cases.history(case_id) if e["type"] == "StageChanged"]
    assert stages == [("local", "RIEP", "person"), ("RIEP", "government meeting", "person"),
                      ("government meeting", "RIEP", "person"), ("RIEP", "local", "person")]


def test_a_case_ends_in_intervention_after_a_government_meeting(cases: CaseService):
    case_id = escalated_to_government_meeting(cases)
    cases.pause_deadline(case_id, deadline="next review", reason="Meeting pending", **C)
    cases.conclude_government_meeting(case_id, outcome="intervention",
                                      summary="Sector-led approach not feasible",
                                      reason="No improvement in two reviews", **C)
    end_support(cases, case_id, "Intervention")
    cases.close_case(case_id, outcome="government intervention",
                     exit_note="Improvement notice served", **C)
    cases.reopen_case(case_id, reason="Notice lifted; support requested", **C)
    case = cases.get_case(case_id)
    assert case["status"] == "open" and case["government_meetings"][0]["outcome"] == "intervention"
    assert event_types(cases.history(case_id))[-2:] == ["CaseClosed", "CaseReopened"]


def test_a_paused_deadline_survives_a_restart_and_resumes(cases: CaseService, settings):
    case_id = cases.open_case(**OPEN_CASE, **C)
    cases.pause_deadline(case_id, deadline="diagnosis", reason="Purdah", **C)
    again = CaseService(settings.eventsourcing_env())
    try:
        assert "diagnosis" in again.get_case(case_id)["paused_deadlines"]
        again.resume_deadline(case_id, deadline="diagnosis", reason="Election over", **C)
        assert "diagnosis" in again.get_case(case_id)["deadlines"]
    finally:
        again.close()


def test_an_automated_escalation_is_recorded_once_however_often_it_is_retried(cases):
    case_id = cases.open_case(**OPEN_CASE, **C)
    cases.acknowledge_need(case_id, reason="We asked", **COUNCIL)
    made = [cases.escalate(case_id, reason="Diagnosis missed", escalation_key="diagnosis:esc")
            for _ in range(3)]
    assert made == [True, False, False]
    assert cases.get_case(case_id)["stage"] == "RIEP"


# -- every rule refused on the real store writes nothing --------------------------------

def opened(cases):
    return cases.open_case(**OPEN_CASE, **C)


def drafted_without_diagnosis(cases):
    case_id = opened(cases)
    cases.draft_plan(case_id, summary="p", actions=ACTIONS, adviser_id="a", **C)
    return case_id


def closed(cases):
    case_id = opened(cases)
    cases.close_case(case_id, outcome="improved and handed back",
                     exit_strategy=EXIT_STRATEGY, **C)
    return case_id


def at_riep(cases):
    case_id = opened(cases)
    cases.acknowledge_need(case_id, reason="r", **COUNCIL)
    cases.change_stage(case_id, to_stage="RIEP", reason="r", **C)
    return case_id


REFUSALS = {
    "plan_needs_diagnosis": (drafted_without_diagnosis,
                             lambda s, i: s.agree_plan(i, reason="ok", **COUNCIL)),
    "plan_drafted_first": (opened, lambda s, i: s.review_plan(i, suggestions=["x"], **C)),
    "plan_actions_are_smart": (opened, lambda s, i: s.draft_plan(
        i, summary="p", actions=[dict(ACTIONS[0], owner="")], adviser_id="a", **C)),
    "plan_agreed_first": (drafted_without_diagnosis, lambda s, i: s.commission_support(
        i, offer_id=seed_registers(s.env)["offer"], days=1, problem_natures=["capacity"],
        reason="r", **C)),
    "government_meeting_needs_red_flag": (opened, lambda s, i: s.change_stage(
        i, to_stage="government meeting", reason="r", **C)),
    "referral_needs_council_agreement": (opened, lambda s, i: s.change_stage(
        i, to_stage="RIEP", reason="r", **C)),
    "intervention_needs_government_meeting": (at_riep, lambda s, i: s.close_case(
        i, outcome="government intervention", exit_note="n", **C)),
    "government_meeting_needs_stage": (at_riep, lambda s, i: s.convene_government_meeting(
        i, attendees=["a"], reason="r", **C)),
    "closed_case_is_read_only": (closed, lambda s, i: s.add_intelligence(
        i, content="c", source="s", confidentiality="normal", **C)),
    "deadline_not_running": (opened, lambda s, i: s.pause_deadline(
        i, deadline="next review", reason="r", **C)),
    "no_escalation_pending": (opened, lambda s, i: s.confirm_escalation(i, reason="r", **C)),
    "only_a_closed_case_reopens": (opened, lambda s, i: s.reopen_case(i, reason="r", **C)),
}


@pytest.mark.parametrize("rule", REFUSALS)
def test_a_refused_command_writes_nothing(cases: CaseService, rule: str):
    arrange, act = REFUSALS[rule]
    case_id = arrange(cases)
    before = len(cases.history(case_id))
    with pytest.raises(RuleViolation) as refusal:
        act(cases, case_id)
    assert refusal.value.rule == rule
    assert len(cases.history(case_id)) == before
