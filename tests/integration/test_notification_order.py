"""A follower of the notification log misses nothing while several writers save.

The read models and the reconciler follow the log by position: they ask for
everything after the last id they saw. If an event could commit with an id
lower than one already seen, they would pass over it for ever. The store must
therefore commit notification ids in order, on SQLite and on PostgreSQL (where
casework saves through its own insert function, see services/postgres_recorder.py).
"""

import threading

from services.cases import CaseService
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
    assert len(stored) == 160
    assert seen == stored  # every id, once, in order
