"""Closures and risk assessments stored before exit strategies and the risk table's
columns still read, and their history still verifies."""

import json

from eventsourcing.persistence import StoredEvent

from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
WHEN = {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+00:00"}


def store_in_the_first_shape(cases: CaseService, case_id, version: int, topic: str,
                             **state) -> None:
    """Write an event exactly as the first release stored it."""
    state = {"timestamp": WHEN, "recorded_at": WHEN, **ACTOR, **state}
    stored = StoredEvent(originator_id=case_id, originator_version=version,
                         topic=f"domain.case:Case.{topic}", state=json.dumps(state).encode())
    cases.recorder.insert_events([cases.events._chain(stored, {})])


def test_a_risk_assessment_and_a_closure_of_the_first_shape_still_read(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    store_in_the_first_shape(cases, case_id, 2, "RiskAssessed", kind="inherent",
                             impact="high", likelihood="low", score=7, band="key risk",
                             reason="Governance", compressed_deadlines={})
    store_in_the_first_shape(cases, case_id, 3, "CaseClosed",
                             outcome="improved and handed back", exit_note="Back in its cycle")

    case = cases.get_case(case_id)
    assert case["status"] == "closed" and case["deadlines"] == {}  # no follow-up then
    assert case["closure"]["exit_note"] == "Back in its cycle"
    assert case["closure"]["exit_strategy"] is None
    assert case["risk"]["inherent"]["score"] == 7 and case["risk"]["owner"] == ""
    assert case["risk"]["key_controls"] == []
    closed = cases.history(case_id)[-1]
    assert closed["type"] == "CaseClosed" and closed["data"]["follow_up_due"] is None
    assert cases.verify(case_id).ok  # the stored bytes were never rewritten


def test_a_new_closure_is_stored_in_the_current_shape(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.assess_risk(case_id, kind="inherent", impact="high", likelihood="low",
                      reason="Governance", owner="RIEP", **ACTOR)
    assert b'"class_version":2' in cases.stored_events(case_id)[-1].state
