"""Idempotency keys in the case store: the outcome saved with the case's events, once."""

from datetime import UTC, datetime, timedelta

import pytest

from services.cases.idempotency import IdempotencyStore, Keyed, KeyInUse, Outcome
from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="cora", actor_role="coordinator")


def _open(cases: CaseService):
    def write() -> dict:
        due = datetime.now(UTC) + timedelta(days=30)
        case_id = cases.open_case(**OPEN_CASE, diagnosis_due=due, **ACTOR)
        return cases.case_after_write(case_id)
    return write


def _events(cases: CaseService) -> list[str]:
    return [n.topic.rsplit(".", 1)[1]
            for n in cases.recorder.select_notifications(start=1, limit=1000)]


def test_a_keyed_request_records_its_outcome_in_the_same_save_as_its_event(cases):
    keys = IdempotencyStore(cases)
    keyed = Keyed(owner="cora", key="k1", request="POST /cases 1")
    outcome, view = keys.run(keyed, 201, _open(cases))
    assert view is not None and outcome == Outcome(status=201, case_id=view["id"], version=1)
    # (with the region's reference counter, started by taking number 1, in the same save)
    assert _events(cases) == ["ConcernRaised", "Started", "Answered"]
    assert keys.recorded(keyed) == outcome


def test_when_another_request_with_the_key_got_in_first_nothing_of_this_one_is_written(cases):
    keys = IdempotencyStore(cases)
    keyed = Keyed(owner="cora", key="k2", request="POST /cases 1")
    first, _ = keys.run(keyed, 201, _open(cases))
    # A racing duplicate that decided before the first was saved: its save is refused whole.
    second, view = keys.run(keyed, 201, _open(cases))
    assert view is None and second == first
    assert _events(cases) == ["ConcernRaised", "Started", "Answered"]


def test_a_request_that_died_in_flight_leaves_nothing_and_its_retry_runs(cases):
    keys = IdempotencyStore(cases)
    keyed = Keyed(owner="cora", key="k3", request="POST /cases 1")

    def dies() -> dict:
        raise ConnectionResetError("the API died here")

    with pytest.raises(ConnectionResetError):
        keys.run(keyed, 201, dies)
    assert keys.recorded(keyed) is None
    outcome, view = keys.run(keyed, 201, _open(cases))
    assert view is not None and outcome.version == 1


def test_an_outcome_is_replayed_after_a_restart(settings, cases):
    keyed = Keyed(owner="cora", key="k4", request="POST /cases 1")
    outcome, _ = IdempotencyStore(cases).run(keyed, 201, _open(cases))
    again = CaseService(settings.eventsourcing_env())
    try:
        assert IdempotencyStore(again).recorded(keyed) == outcome
    finally:
        again.close()


def test_a_key_reused_for_another_request_or_by_another_person(cases):
    keys = IdempotencyStore(cases)
    keys.run(Keyed(owner="cora", key="k5", request="A"), 201, _open(cases))
    with pytest.raises(KeyInUse):
        keys.recorded(Keyed(owner="cora", key="k5", request="B"))
    assert keys.recorded(Keyed(owner="otto", key="k5", request="A")) is None


def test_a_refusal_is_recorded_on_its_own_and_replayed(cases):
    keys = IdempotencyStore(cases)
    keyed = Keyed(owner="cora", key="k6", request="A")
    problem = {"status": 409, "rule": "plan_agreed_first"}
    assert keys.refused(keyed, 409, problem, {}).problem == problem
    assert keys.recorded(keyed) == Outcome(status=409, problem=problem, headers={})
    assert keys.refused(keyed, 409, {"status": 409, "rule": "other"}, {}).problem == problem
