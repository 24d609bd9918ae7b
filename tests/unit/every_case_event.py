"""Two cases walked through every command, so that between them they record every kind
of Case event; used to prove what the store holds keeps its shape and still loads."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from domain.case import Case
from domain.documents import StoredFile
from domain.ownership import Person
from tests.helpers import EXIT_STRATEGY, OPEN_CASE
from tests.unit.case_builder import ACTIONS, ACTOR, COUNCIL, NOW, agreed, drafted, opened

STORED = Path(__file__).with_name("stored_case_events.json")
"""Every kind of Case event as the release before the case was split into parts stored
it: topic and state, stream by stream (written once, never regenerated)."""

MINUTE = timedelta(minutes=1)


def mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def the_long_case() -> Case:
    """Diagnosis to closure, follow-up and reopening; then automation moves it."""
    case = opened()
    case.add_intelligence(content="Ofsted letter", source="inspectorate",
                          confidentiality="Chatham House", recorded_at=NOW, **ACTOR)
    case.assess_risk(kind="inherent", impact="high", likelihood="high", reason="Children at risk",
                     recorded_at=NOW, owner="Chief executive", key_controls=["weekly calls"],
                     **ACTOR)
    case.record_diagnosis(summary="Weak leadership", problem_natures=["political"],
                          evidence=["inspection"], root_causes=["turnover"], recorded_at=NOW,
                          **ACTOR)
    case.decline_support(reason="Not yet", recorded_at=NOW, **COUNCIL)
    case.acknowledge_need(reason="We need help", recorded_at=NOW, **COUNCIL)
    case.draft_plan(summary="Stabilise", actions=ACTIONS, adviser_id="adviser-1",
                    recorded_at=NOW, **ACTOR)
    case.review_plan(suggestions=["Add a measure"], recorded_at=NOW, **ACTOR)
    case.agree_plan(reason="Co-designed", recorded_at=NOW, **COUNCIL)
    case.revise_plan(actions=ACTIONS, reason="Things changed", recorded_at=NOW, **ACTOR)
    case.agree_plan(reason="Agreed again", recorded_at=NOW, **COUNCIL)
    case.commission_support(provider="IDeA", description="Coaching", problem_natures=["capability"],
                            cost="1200.50", reason="Plan action 1", recorded_at=NOW,
                            commission_id="commission-a", offer_id="offer-a", days=3, **ACTOR)
    case.end_commission(commission_id="commission-a", reason="Delivered", recorded_at=NOW,
                        **ACTOR)
    deployment = case.deploy_peer(peer_id="peer-1", peer_council="Southshire", role="mentor",
                                  reason="Plan action 2", recorded_at=NOW,
                                  registered_peer_id="reg-1", register_deployment_id="dep-1",
                                  days=2, **ACTOR)
    case.record_peer_visit(deployment_id=deployment, visited_at=NOW, notes="Met the director",
                           recorded_at=NOW, **ACTOR)
    case.end_peer_deployment(deployment_id=deployment, reason="Done", recorded_at=NOW, **ACTOR)
    case.review_progress(measures={"Director in post": "on track",
                                   "Caseloads under 20": "off track"},
                         judgement="improving", reason="Good start", recorded_at=NOW, **ACTOR)
    case.pause_deadline(deadline="next review", reason="Election", recorded_at=NOW, **ACTOR)
    case.resume_deadline(deadline="next review", reason="Over", recorded_at=NOW + MINUTE, **ACTOR)
    case.issue_reminder(deadline="next review", recipient="coordinator-1",
                        reminder_key="next review:1", actor_id="timetable")
    case.record_automation_failure(step_key="step-1", action="escalate", deadline="next review",
                                   error="refused", actor_id="timetable")
    case.propose_escalation(reason="Stuck", proposal_key="proposal-1", recorded_at=NOW,
                            actor_id="timetable")
    case.decline_escalation(reason="Give it time", recorded_at=NOW, **ACTOR)
    case.propose_joint_meeting(reason="Stuck", proposal_key="joint-1", recorded_at=NOW,
                            actor_id="timetable")
    case.remind_of_joint_meeting(recipient="coordinator-1", reminder_key="joint-1:r",
                                 actor_id="timetable")
    case.decline_joint_meeting(reason="Not now", recorded_at=NOW, **ACTOR)
    case.hold_joint_local_meeting(outcome="regulator not satisfied", reason="Still failing",
                                  recorded_at=NOW, **ACTOR,
                                  attendees=[{"kind": "government office", "name": "GO"}])
    case.record_joint_meeting_summary(summary="Minutes", recorded_at=NOW, **ACTOR)
    case.propose_escalation(reason="Red flag", proposal_key="proposal-2", recorded_at=NOW,
                            actor_id="timetable")
    case.remind_of_proposal(recipient="coordinator-1", reminder_key="proposal-2:r",
                            actor_id="timetable")
    case.confirm_escalation(reason="Red flag", recorded_at=NOW, **ACTOR)
    case.change_stage(to_stage="government meeting", trigger="person", reason="Up a rung",
                      recorded_at=NOW, **ACTOR)
    case.convene_government_meeting(attendees=["Minister"], meeting_at=NOW + MINUTE,
                                    reason="Red flag", recorded_at=NOW, **ACTOR)
    case.conclude_government_meeting(outcome="sector-led approach agreed", summary="Sector-led",
                                     reason="Plan is credible", recorded_at=NOW, **ACTOR)
    case.reassign(owner=Person("olive", "coordinator", OPEN_CASE["region"], active=True),
                  reason="Leave", recorded_at=NOW, **ACTOR)
    case.grant_confidential_access(grantee=Person("ivy", "inspector", None, active=True),
                                   reason="Inspection", recorded_at=NOW, **ACTOR)
    case.revoke_confidential_access(grantee="ivy", reason="Done", recorded_at=NOW, **ACTOR)
    case.record_notice_outcome(notice_key="n-1", channel="email", address="a@example.org",
                               delivered=True, at=NOW, attempts=1, reason="",
                               actor_id="notifier")
    case.record_notice_outcome(notice_key="n-2", channel="email", address="a@example.org",
                               delivered=False, at=NOW, attempts=3, reason="bounced",
                               actor_id="notifier")
    case.close(outcome="improved and handed back", exit_strategy=EXIT_STRATEGY,
               recorded_at=NOW, **ACTOR)
    case.record_follow_up_review(judgement="reopen", notes="Slipped back", recorded_at=NOW,
                                 **ACTOR)
    for stage in ("RIEP", "local"):
        case.change_stage(to_stage=stage, trigger="person", reason="Down a rung",
                          recorded_at=NOW, **ACTOR)
    case.escalate(reason="Missed again", escalation_key="escalation-1", recorded_at=NOW,
                  actor_id="timetable")
    return case


def the_local_case() -> Case:
    """An agreed plan, then a joint local meeting that finds a strong local plan: the next
    joint meeting falls due (a version 2 meeting without a red flag)."""
    case = agreed()
    case.hold_joint_local_meeting(outcome="strong local plan", reason="Credible",
                                  recorded_at=NOW, **ACTOR,
                                  attendees=[{"kind": "council or partnership", "name": "C"}])
    return case


def the_requested_case() -> Case:
    """A drafted plan put to the council for its agreement (an event added since the
    split, stored in a stream of its own, appended once)."""
    case = drafted()
    case.ask_council_to_agree(note="Ready for your cabinet", recorded_at=NOW, **ACTOR)
    return case


def the_referenced_case() -> Case:
    """A case opened before references (its concern has none), then given one (an event
    added since the split, stored in a stream of its own, appended once)."""
    case = opened()
    case.give_reference(reference="NW-2026-0001", recorded_at=NOW, **ACTOR)
    return case


def the_documented_case() -> Case:
    """A case with the inspection letter attached to its concern (an event added since
    the split, stored in a stream of its own, appended once)."""
    case = opened()
    case.attach_document(
        title="Ofsted inspection letter", kind="inspection report",
        step="the concern's intelligence", step_ref="", confidentiality="normal",
        stored=StoredFile("5" * 64, 2048, "application/pdf", "Ofsted letter.pdf"),
        recorded_at=NOW, **ACTOR)
    return case


def the_redacted_case() -> Case:
    """A case whose summary and one document were redacted (events added since the
    split, stored in a stream of their own, appended once)."""
    case = the_documented_case()
    admin = dict(actor_id="admin-1", actor_role="admin")
    case.redact_field(version=1, field="summary", event_type="ConcernRaised",
                      value=case.summary, reason="A data subject's request",
                      recorded_at=NOW + MINUTE, **admin)
    case.redact_document(document_id="document-1", reason="Attached to the wrong case",
                         recorded_at=NOW + 2 * MINUTE, **admin)
    return case


def stored(case: Case) -> list[StoredEvent]:
    return [mapper().to_stored_event(event) for event in case.collect_events()]


def as_json(events: list[StoredEvent]) -> list[dict[str, Any]]:
    return [{"topic": e.topic, "version": e.originator_version,
             "state": json.loads(e.state)} for e in events]


def from_json(stream: list[dict[str, Any]], case_id: UUID) -> list[CanMutateAggregate[UUID]]:
    to_domain = mapper().to_domain_event
    return [to_domain(StoredEvent(originator_id=case_id, originator_version=e["version"],
                                  topic=e["topic"], state=json.dumps(e["state"]).encode()))
            for e in stream]


def replay(events: list[CanMutateAggregate[UUID]]) -> Case:
    case: Any = None
    for event in events:
        case = event.mutate(case)
    assert isinstance(case, Case)
    return case


def _write() -> None:  # run once, on the release before the split
    streams = [as_json(stored(the_long_case())), as_json(stored(the_local_case()))]
    STORED.write_text(json.dumps(streams, indent=1, sort_keys=False) + "\n")


def _append_requested() -> None:  # run once, when the plan's agreement request was added
    streams = json.loads(STORED.read_text()) + [as_json(stored(the_requested_case()))]
    STORED.write_text(json.dumps(streams, indent=1, sort_keys=False) + "\n")


def _append_referenced() -> None:  # run once, when cases were given references
    streams = json.loads(STORED.read_text()) + [as_json(stored(the_referenced_case()))]
    STORED.write_text(json.dumps(streams, indent=1, sort_keys=False) + "\n")


def _append_documented() -> None:  # run once, when documents were attached to cases
    streams = json.loads(STORED.read_text()) + [as_json(stored(the_documented_case()))]
    STORED.write_text(json.dumps(streams, indent=1, sort_keys=False) + "\n")


if __name__ == "__main__":
    _write()
