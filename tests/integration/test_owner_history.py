"""A case opened before cases had owners still loads, shows no owner, and can be given one."""

import json
import uuid

from eventsourcing.persistence import StoredEvent

from domain.ownership import Person
from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
OLIVE = Person("olive", "coordinator", OPEN_CASE["region"], active=True)


def store_a_concern_without_an_owner(cases: CaseService) -> uuid.UUID:
    """A ConcernRaised exactly as releases before owners stored it: no `owner` at all."""
    moment = {"_type_": "datetime_iso", "_data_": "2026-01-05T10:00:00+00:00"}
    state = {"timestamp": moment, "originator_topic": "domain.case:Case", **OPEN_CASE,
             "raised_at": moment,
             "diagnosis_due": {"_type_": "datetime_iso", "_data_": "2026-01-19T10:00:00+00:00"},
             **ACTOR}
    case_id = uuid.uuid4()
    stored = StoredEvent(originator_id=case_id, originator_version=1,
                         topic="domain.case:Case.ConcernRaised",
                         state=json.dumps(state).encode())
    cases.recorder.insert_events([cases.events._chain(stored, {})])
    return case_id


def test_a_case_from_before_owners_loads_without_one_and_is_reassigned(cases: CaseService):
    case_id = store_a_concern_without_an_owner(cases)
    assert cases.get_case(case_id)["owner"] is None
    assert cases.verify(case_id).ok

    cases.people = {"olive": OLIVE}.get
    cases.reassign_case(case_id, owner="olive", reason="Owners introduced", **ACTOR)
    assert cases.get_case(case_id)["owner"] == "olive"
    [reassigned] = [e for e in cases.history(case_id) if e["type"] == "CaseReassigned"]
    assert (reassigned["data"]["from_owner"], reassigned["data"]["to_owner"]) == (None, "olive")
    assert cases.verify(case_id).ok
