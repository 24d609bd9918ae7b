"""A follower of the notification log misses nothing while several writers save.

The read models and the reconciler follow the log by position: they ask for
everything after the last id they saw. If an event could commit with an id
lower than one already seen, they would pass over it for ever. The store must
therefore commit notification ids in order, on SQLite and on PostgreSQL (where
casework saves through its own insert function, see services/eventstore/postgres_recorder.py).
"""

import threading

import pytest
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from services.cases.service import CaseService
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="coordinator-1", actor_role="coordinator")


def test_a_follower_sees_every_event_while_four_writers_save(cases: CaseService):
    writing = True
    seen: list[int] = []

    def follow() -> None:
        position = 0
        while writing or position < cases.recorder.max_notification_id():
            for notification in cases.recorder.select_notifications(position + 1, 50):
                seen.append(notification.id)
                position = notification.id

    def write() -> None:
        for _ in range(40):
            cases.open_case(**OPEN_CASE, **ACTOR)

    follower = threading.Thread(target=follow)
    follower.start()
    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    writing = False
    follower.join(timeout=30)

    stored = [n.id for n in cases.recorder.select_notifications(1, 1000)]
    assert len(stored) == 320  # each case, and its region's reference counter moved on
    assert seen == stored  # every id, once, in order



@pytest.mark.postgres
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_page_of_the_log_reads_as_the_library_reads_it(cases: CaseService):
    """PostgreSQL reads plain pages in binary, its own way; they must be the same events."""
    for _ in range(3):
        case_id = cases.open_case(**OPEN_CASE, **ACTOR)
        cases.pause_deadline(case_id, deadline="diagnosis", reason="waiting", **ACTOR)
    inner = cases.recorder.inner  # the recorder under the sealing, and its states opened

    def library(_recorder, *args, **kwargs):
        return [Notification(id=n.id, originator_id=n.originator_id,
                             originator_version=n.originator_version, topic=n.topic,
                             state=cases.recorder.opened(n.state, n))
                for n in PostgresApplicationRecorder.select_notifications(inner, *args,
                                                                          **kwargs)]

    for start, limit in [(1, 100), (2, 3), (6, 1), (7, 10)]:
        ours = cases.recorder.select_notifications(start, limit)
        assert ours == library(cases.recorder, start, limit)
        assert [type(n.state) for n in ours] == [bytes] * len(ours)
    logged = cases.recorder.select_notifications(1, 100)
    pauses = [n.id for n in logged if n.topic.endswith("DeadlinePaused")]
    paused, first, stop = [logged[pauses[0] - 1].topic], pauses[0], pauses[1] + 1
    assert [n.id for n in cases.recorder.select_notifications(first, 10, stop=stop,
                                                              topics=paused)] \
        == [n.id for n in library(cases.recorder, first, 10, stop=stop, topics=paused)] \
        == pauses[:2]
