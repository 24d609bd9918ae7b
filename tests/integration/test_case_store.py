"""The case service on a real store: the same tests run on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import Case
from domain.errors import InvalidField
from services.cases.service import CaseNotFound, CaseService, StaleVersion
from tests.helpers import OPEN_CASE, event_types

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def test_an_opened_case_reads_back_with_its_history(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    case = cases.get_case(case_id)
    assert case["authority"] == OPEN_CASE["authority"] and case["version"] == 1
    [raised] = cases.history(case_id)
    assert raised["type"] == "ConcernRaised"
    assert raised["actor"] == {"id": "coordinator-1", "role": "coordinator"}
    assert raised["data"]["source"] == "inspectorate report"


def test_a_refused_case_writes_nothing(cases: CaseService):
    with pytest.raises(InvalidField):
        cases.open_case(**dict(OPEN_CASE, source="gossip"), **ACTOR)
    assert cases.case_ids() == []


def test_a_case_survives_a_restart_of_the_service(cases: CaseService, settings):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    reopened = CaseService(settings.eventsourcing_env())
    try:
        assert reopened.get_case(case_id)["summary"] == OPEN_CASE["summary"]
    finally:
        reopened.close()


def test_a_reminder_is_recorded_once_however_often_it_is_retried(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    recorded = [cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                                     reminder_key="diagnosis:missed") for _ in range(3)]
    assert recorded == [True, False, False]
    assert event_types(cases.history(case_id)) == ["ConcernRaised", "ReminderIssued"]


def test_a_stale_expected_version_is_refused_and_writes_nothing(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.issue_reminder(case_id, deadline="diagnosis", recipient="o", reminder_key="k")
    with pytest.raises(StaleVersion) as refused:
        cases.record_diagnosis(case_id, summary="x", expected_version=1, **ACTOR)
    assert refused.value.current_version == 2
    assert len(cases.history(case_id)) == 2


def test_an_unknown_case_is_not_found(cases: CaseService):
    import uuid

    with pytest.raises(CaseNotFound):
        cases.get_case(uuid.uuid4())


def test_ten_thousand_events_save_in_one_call_and_verify(cases: CaseService):
    """A bulk save (an import, a long case migrated in) lands whole, in one transaction."""
    now = datetime.now(UTC)
    case = Case.raise_concern(**OPEN_CASE, raised_at=now, diagnosis_due=now + timedelta(days=14),
                              **ACTOR)
    for n in range(10_000):
        change = case.resume_deadline if n % 2 else case.pause_deadline
        change(deadline="diagnosis", reason="waiting on the council", recorded_at=now, **ACTOR)
    cases.save(case)
    assert cases.verify(case.id).events_checked == 10_001
    assert cases.get_case(case.id)["version"] == 10_001
