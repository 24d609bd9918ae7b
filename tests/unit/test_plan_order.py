"""Commands in an impossible order are refused by name, or keep what was decided."""

from datetime import timedelta

from domain.case import Case
from domain.policy import EscalationPolicy
from domain.timetable import timetable
from services.reminders.escalation_steps import case_facts
from tests.helpers import EXIT_STRATEGY
from tests.unit.case_builder import ACTIONS, ACTOR, COUNCIL, NOW, agreed, drafted
from tests.unit.test_case_rules import PEER, refused

LATER = NOW + timedelta(days=1)
ALL_MEASURES = {"Director in post": "on track", "Caseloads under 20": "off track"}


def revised(case: Case) -> Case:
    case.revise_plan(actions=ACTIONS[:1], reason="Caseloads solved", recorded_at=LATER,
                     **ACTOR)
    return case


def test_a_plan_drafted_after_agreement_is_refused_and_the_agreed_plan_stands():
    case = agreed()
    assert refused(case, "draft_plan", summary="Something else", actions=ACTIONS[:1],
                   adviser_id="adviser-2", recorded_at=LATER,
                   **ACTOR) == "agreed_plan_is_revised"
    assert case.plan["status"] == "agreed" and case.plan["adviser_id"] == "adviser-1"


def test_a_plan_not_yet_agreed_may_be_drafted_again():
    case = drafted()
    case.draft_plan(summary="Better", actions=ACTIONS[:1], adviser_id="adviser-2",
                    recorded_at=LATER, **ACTOR)
    assert case.plan["summary"] == "Better"


def test_the_same_revision_is_not_agreed_twice():
    case = agreed()
    assert refused(case, "agree_plan", reason="Again", recorded_at=LATER,
                   **COUNCIL) == "revision_already_agreed"
    revised(case).agree_plan(reason="Revision agreed", recorded_at=LATER, **COUNCIL)
    assert refused(case, "agree_plan", reason="Again", recorded_at=LATER,
                   **COUNCIL) == "revision_already_agreed"


def test_a_revision_awaiting_agreement_does_not_block_reviews_of_the_agreed_plan():
    case = revised(agreed())
    assert case.plan["status"] == "draft" and case.agreed_plan["revision"] == 1
    case.review_progress(measures=ALL_MEASURES, judgement="improving", reason="Visit",
                         next_review_due=LATER + timedelta(days=30), recorded_at=LATER,
                         **ACTOR)
    assert case.deadlines["next review"] == LATER + timedelta(days=30)
    # new support still waits for the revision's agreement
    assert refused(case, "deploy_peer", **PEER) == "plan_agreed_first"


def test_once_agreed_the_revision_is_what_progress_is_reviewed_against():
    case = revised(agreed())
    case.agree_plan(reason="Revision agreed", recorded_at=LATER, **COUNCIL)
    assert case.agreed_plan["revision"] == 2
    case.review_progress(measures={"Director in post": "on track"}, judgement="improving",
                         reason="r", recorded_at=LATER, **ACTOR)
    assert case.reviews[-1]["measures"] == {"Director in post": "on track"}


def test_re_agreeing_with_the_same_review_date_keeps_the_reminders_issued():
    case = agreed()
    due = case.deadlines["next review"]
    policy = EscalationPolicy()
    first = timetable(case_facts(case), policy, NOW)[0]
    assert case.issue_reminder(deadline="next review", recipient="case owner",
                               reminder_key=first.key, actor_id="wf")
    revised(case).agree_plan(reason="Revision agreed", recorded_at=LATER, **COUNCIL)
    assert case.deadlines["next review"] == due
    assert first.key in case.reminders and case.reminders_issued == 1
    assert first.key not in {s.key for s in timetable(case_facts(case), policy, LATER)}


def test_a_case_with_peers_still_deployed_is_not_closed():
    case = agreed()
    deployment = case.deploy_peer(**PEER)
    assert refused(case, "close", outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
                   recorded_at=LATER, **ACTOR) == "peer_deployments_end_first"
    case.end_peer_deployment(deployment_id=deployment, reason="Done", recorded_at=LATER,
                             **ACTOR)
    case.close(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY, recorded_at=LATER,
               **ACTOR)
    assert case.status == "closed"


def test_the_refusal_names_the_deployments_still_active():
    case = agreed()
    case.deploy_peer(**PEER)
    try:
        case.close(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY, recorded_at=LATER,
                   **ACTOR)
    except Exception as refusal:  # noqa: BLE001 - the message is what is checked
        assert "deployment-1" in str(refusal)
    else:
        raise AssertionError("closed with a peer still deployed")
