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
