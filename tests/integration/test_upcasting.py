"""An event type changed shape; history written in the old shape still reads."""

import json

from eventsourcing.persistence import StoredEvent

from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def store_a_version_1_diagnosis(cases: CaseService, case_id) -> None:
    """Write the diagnosis exactly as the first release stored it: a summary only."""
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+00:00"},
        "summary": "Financial and capacity problems",
        "recorded_at": {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+00:00"},
        "actor_id": "coordinator-1", "actor_role": "coordinator",
    }
    stored = StoredEvent(originator_id=case_id, originator_version=2,
                         topic="domain.case:Case.DiagnosisRecorded",
                         state=json.dumps(state).encode())
    cases.recorder.insert_events([cases.events._chain(stored, {})])


def test_a_diagnosis_stored_in_the_first_shape_is_upcast_when_read(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    store_a_version_1_diagnosis(cases, case_id)

    diagnosis = cases.get_case(case_id)["diagnosis"]
    assert diagnosis["summary"] == "Financial and capacity problems"
    assert diagnosis["problem_natures"] == [] and diagnosis["root_causes"] == []
    assert "diagnosis" not in cases.get_case(case_id)["deadlines"]
    event = cases.history(case_id)[-1]
    assert event["type"] == "DiagnosisRecorded" and event["data"]["evidence"] == []
    assert cases.verify(case_id).ok  # the stored bytes were never rewritten


def test_a_new_diagnosis_is_stored_in_the_current_shape(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.record_diagnosis(case_id, summary="capacity", **ACTOR)
    stored = cases.stored_events(case_id)[-1]
    assert b'"class_version":2' in stored.state


def test_a_joint_meeting_stored_in_the_first_shape_still_raises_its_red_flag(
        cases: CaseService):
    """A 'regulator not satisfied' meeting stored before attendees and the red flag event
    reads with the red flag raised, and no summary deadline it never had."""
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    at = {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+00:00"}
    state = {"timestamp": at, "outcome": "regulator not satisfied", "reason": "Old meeting",
             "recorded_at": at, "actor_id": "coordinator-1", "actor_role": "coordinator"}
    stored = StoredEvent(originator_id=case_id, originator_version=2,
                         topic="domain.case:Case.JointLocalMeetingHeld",
                         state=json.dumps(state).encode())
    cases.recorder.insert_events([cases.events._chain(stored, {})])

    case = cases.get_case(case_id)
    assert case["red_flag"]["reason"] == "Old meeting"
    assert case["joint_meetings"][0]["attendees"] is None
    assert "joint meeting summary" not in case["deadlines"]
    cases.change_stage(case_id, to_stage="government meeting", reason="Red flag", **ACTOR)
    assert cases.verify(case_id).ok
