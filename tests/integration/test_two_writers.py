"""Two services on one store, as the API and the worker are in production.

Each keeps its own cache of recently used cases, so each is behind the other's
writes until it reads again. Commands decide on the cached copy first; these
tests show that a stale copy never lets an update be lost, never refuses a
command the case now allows, and never accepts one it now refuses.
"""

import threading
from collections.abc import Iterator

import pytest

from domain.errors import RuleViolation
from services.cases.service import CaseService, StaleVersion
from tests.helpers import EXIT_STRATEGY, OPEN_CASE, event_types

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")
NOTE = dict(content="Section 114 notice rumoured", source="finance director",
            confidentiality="normal")


@pytest.fixture
def other(settings) -> Iterator[CaseService]:
    """The second writer: another process on the same store."""
    service = CaseService(settings.eventsourcing_env())
    yield service
    service.close()


@pytest.fixture
def case_id(cases: CaseService):
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    cases.get_case(case_id)  # cached here at version 1
    return case_id


def test_a_command_on_a_cached_copy_keeps_the_other_writers_event(cases, other, case_id):
    other.add_intelligence(case_id, **NOTE, **ACTOR)
    assert cases.add_intelligence(case_id, **NOTE, **ACTOR) == 3
    assert event_types(cases.history(case_id)) == [
        "ConcernRaised", "IntelligenceAdded", "IntelligenceAdded"]
    assert cases.verify(case_id).ok  # chained onto the other writer's event, not a stale head


def test_the_version_the_other_writer_made_is_accepted_and_an_older_one_refused(
        cases, other, case_id):
    other.add_intelligence(case_id, **NOTE, **ACTOR)
    with pytest.raises(StaleVersion) as refused:
        cases.add_intelligence(case_id, **NOTE, **ACTOR, expected_version=1)
    assert refused.value.current_version == 2
    assert cases.add_intelligence(case_id, **NOTE, **ACTOR, expected_version=2) == 3


def test_a_command_the_case_no_longer_allows_is_refused_and_writes_nothing(
        cases, other, case_id):
    other.close_case(case_id, outcome="improved and handed back",
        exit_strategy=EXIT_STRATEGY, exit_note="Recovered", **ACTOR)
    with pytest.raises(RuleViolation):
        cases.add_intelligence(case_id, **NOTE, **ACTOR)
    assert cases.get_case(case_id)["version"] == 2


def test_a_command_the_case_now_allows_is_not_refused_on_the_old_copy(cases, other, case_id):
    cases.close_case(case_id, outcome="improved and handed back",
        exit_strategy=EXIT_STRATEGY, exit_note="Recovered", **ACTOR)
    other.reopen_case(case_id, reason="Finances worsened", **ACTOR)
    assert cases.add_intelligence(case_id, **NOTE, **ACTOR) == 4


def test_a_reminder_moot_on_the_old_copy_is_recorded_when_the_case_needs_it(
        cases, other, case_id):
    cases.pause_deadline(case_id, deadline="diagnosis", reason="Purdah", **ACTOR)
    other.resume_deadline(case_id, deadline="diagnosis", reason="Purdah over", **ACTOR)
    assert cases.issue_reminder(case_id, deadline="diagnosis", recipient="owner",
                                reminder_key="diagnosis:missed")
    assert event_types(cases.history(case_id))[-1] == "ReminderIssued"


def test_a_reminder_the_other_writer_recorded_is_not_recorded_twice(cases, other, case_id):
    reminder = dict(deadline="diagnosis", recipient="owner", reminder_key="diagnosis:missed")
    assert other.issue_reminder(case_id, **reminder)
    assert not cases.issue_reminder(case_id, **reminder)
    assert event_types(cases.history(case_id)).count("ReminderIssued") == 1


def test_a_command_failing_half_way_leaves_the_cached_case_untouched(cases, case_id):
    def half_way(case, now):
        case.add_intelligence(**NOTE, recorded_at=now, **ACTOR)
        raise RuleViolation("refused after a change", field="content")

    with pytest.raises(RuleViolation):
        cases._decide_and_save(case_id, None, half_way)
    case = cases.get_case(case_id)
    assert case["version"] == 1 and case["intelligence"] == []


def test_threads_writing_and_reading_one_case_lose_nothing(cases, case_id):
    """Every write lands once; every read sees a whole case (its notes match its version)."""
    failures: list[BaseException] = []

    def guarded(work) -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    def write() -> None:
        """As a client does: told the case kept changing, it tries again."""
        for _ in range(15):
            while True:
                try:
                    cases.add_intelligence(case_id, **NOTE, **ACTOR)
                    break
                except StaleVersion:
                    continue

    def read() -> None:
        for _ in range(60):
            case = cases.get_case(case_id)
            assert len(case["intelligence"]) == case["version"] - 1

    threads = [threading.Thread(target=guarded, args=(work,))
               for work in (write, write, write, read, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert cases.get_case(case_id)["version"] == 46
    assert event_types(cases.history(case_id)).count("IntelligenceAdded") == 45
    assert cases.verify(case_id).events_checked == 46 and cases.verify(case_id).ok
