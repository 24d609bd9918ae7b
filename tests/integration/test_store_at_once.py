"""The store used by many at once: threads of one process, and processes side by side.

A burst of reminders has the worker's threads all reading and writing cases at
the same moment, and the API opens cases beside the worker. Reads must not
queue behind another's commit, and cases opened by any process must read back
by every other, with their events sealed under their own keys.
"""

import threading
from collections.abc import Iterator

import pytest

from services.cases.service import CaseService
from services.eventstore.encryption import is_sealed
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


@pytest.fixture
def sqlite_cases(tmp_path) -> Iterator[CaseService]:
    service = CaseService(Settings(data_dir=tmp_path / "var", store="sqlite")
                          .eventsourcing_env())
    yield service
    service.close()


def test_a_case_reads_at_once_while_writes_wait_for_a_slow_commit(sqlite_cases):
    """SQLite has one writer at a time; a reader (in WAL mode) waits for none of them."""
    cases = sqlite_cases
    waiting, reading = cases.open_case(**OPEN_CASE, **ACTOR), cases.open_case(**OPEN_CASE, **ACTOR)
    cases.repository.cache.get(reading, evict=True)  # so the read below goes to the store
    committing, release = threading.Event(), threading.Event()

    def slow_commit() -> None:
        with cases.recorder.datastore.transaction(commit=True):
            committing.set()
            release.wait(10)

    writer = threading.Thread(target=slow_commit)
    writer.start()
    committing.wait(5)
    queued = threading.Thread(target=lambda: cases.pause_deadline(
        waiting, deadline="diagnosis", reason="waiting on the council", **ACTOR))
    queued.start()
    read: list[dict] = []
    reader = threading.Thread(target=lambda: read.append(cases.get_case(reading)))
    reader.start()
    reader.join(5)
    finished_first = not reader.is_alive()
    release.set()
    for thread in (writer, queued, reader):
        thread.join(10)
    assert finished_first, "the read waited for the commit and the write queued behind it"
    assert read[0]["id"] == reading
    assert cases.get_case(waiting)["paused_deadlines"]  # the queued write went in after


def test_cases_opened_by_two_processes_read_back_in_a_third(settings: Settings):
    """More cases than one batch of keys made ahead (32), from two processes at once, in
    one region: no two share a reference."""
    first, second = (CaseService(settings.eventsourcing_env()) for _ in range(2))
    opened: list = []

    def open_some(service: CaseService) -> None:
        for _ in range(40):
            opened.append(service.open_case(**OPEN_CASE, **ACTOR))

    both = [threading.Thread(target=open_some, args=(s,)) for s in (first, second)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(60)
    first.close()
    second.close()
    third = CaseService(settings.eventsourcing_env())
    try:
        assert len(set(opened)) == 80
        assert set(third.case_ids()) == set(opened)  # a key made ahead names no case
        references = set()
        for case_id in opened:
            case = third.get_case(case_id)
            assert case["authority"] == OPEN_CASE["authority"]
            references.add(case["reference"])
            assert third.verify(case_id).ok
            assert all(is_sealed(stored.state) for stored in third.recorder.inner
                       .select_events(case_id))
        assert len(references) == 80  # each process took numbers from its cached counter
    finally:
        third.close()
