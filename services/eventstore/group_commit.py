"""Group commit: the writes that arrive while one commit runs share the next one.

Every save is a transaction of its own, and the store's one writer's turn is held
for the whole of it, its durable commit included. With many people writing at
once, each waited for the turn, then paid a commit of its own. Here a writer that
finds no commit running commits alone, in its own thread, as before. A writer that
finds one running puts its events in a queue and waits; a committer thread takes
the writes queued, records each under a savepoint of its own, commits them once,
and hands each writer its own outcome.

Why the two ways. Handing every write to the committer cost a writer alone two
thread switches, 0.2 to 0.5 ms a command here. And the writes of many are led by
a thread of the group's own, not by one of the writers: a Temporal worker stops
an activity by raising inside its thread wherever it is, and a writer stopped
half way through leading a commit would have left every other writer waiting. A
writer stopped on its own way through can at worst leave the count of writers
in progress too high, so that later writes all go through the committer: slower,
never stuck. The committer starts with the first queued write and ends after a
second with nothing to do.

- A write refused on a version clash, or failing for any reason, is rolled back to
  its savepoint and refused alone: the others in its group are still recorded.
- A writer is answered only once the commit that holds its events has returned,
  so nothing acknowledged is ever lost; if that commit fails, every write in it is
  refused with the commit's error and none of its events is kept.
- Queued writes are recorded in the order they arrived. Notification ids follow
  the order of commits, as the stores give them.

It is on with `CASEWORK_GROUP_COMMIT=on`; off, each save commits on its own, as
the library records it (docs/performance.md says why off is the default).
"""

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent

MAX_GROUP = 64
"""Writes per commit at most: one commit never holds the store for long, and on
PostgreSQL each write's block is a subtransaction, of which a session caches 64 before
every session's visibility checks slow down."""

WAKE_SECONDS = 0.1
"""How often a waiting writer wakes: a Temporal worker cancels an activity by raising in
its thread, which a thread blocked in one long wait would see only when it ends."""

IDLE_SECONDS = 1.0
"""How long the committer waits for a write before it ends (the next write starts another)."""


@dataclass(eq=False)
class QueuedWrite:
    """One writer's events, and what became of them."""

    events: Sequence[StoredEvent]
    ids: Sequence[int] | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


RecordGroup = Callable[[list[QueuedWrite]], None]
"""Records each write of a group in one transaction, setting `ids` or `error` on each
write, and raises only when the transaction as a whole did not commit."""


class GroupCommit:
    """The queue of waiting writes, and the turn to lead a commit."""

    def __init__(self, record_group: RecordGroup) -> None:
        self._record_group = record_group
        self._start()
        self.commits = 0
        self.writes = 0

    def _start(self) -> None:
        """An empty queue, and no committer yet: at first, and in a child process after a
        fork, which has neither the parent's committer nor any business with its writes."""
        self._pid = os.getpid()
        self._queued = threading.Condition()
        self._queue: list[QueuedWrite] = []
        self._committer: threading.Thread | None = None
        self._writing = 0  # commits in progress: a writer's own, or the committer's

    def write(self, events: Sequence[StoredEvent]) -> Sequence[int] | None:
        """Records `events` in the next commit; answers once it is durable."""
        if self._pid != os.getpid():
            self._start()
        mine = QueuedWrite(events)
        with self._queued:
            alone = self._writing == 0 and not self._queue
            if alone:
                self._writing += 1
            else:
                self._queue_for_committer(mine)
        if alone:
            try:
                self._commit([mine])
            finally:
                with self._queued:
                    self._writing -= 1
        while not mine.done.wait(WAKE_SECONDS):
            pass
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _queue_for_committer(self, mine: QueuedWrite) -> None:
        """Called holding `_queued`."""
        if self._committer is None or not self._committer.is_alive():
            committer = threading.Thread(target=self._commit_queued, daemon=True,
                                         name="group-commit")
            committer.start()  # before queueing: a thread that cannot start leaves none
            self._committer = committer
        self._queue.append(mine)
        self._queued.notify()

    def _commit_queued(self) -> None:
        while True:
            with self._queued:
                if not self._queue:
                    self._queued.wait(IDLE_SECONDS)
                if not self._queue:
                    self._committer = None
                    return
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                self._writing += 1
            try:
                self._commit(group)
            finally:
                with self._queued:
                    self._writing -= 1

    def _commit(self, group: list[QueuedWrite]) -> None:
        try:
            self._record_group(group)
        except BaseException as error:  # the commit failed: nothing in it was kept
            for write in group:
                write.ids = None
                write.error = write.error or error
        with self._queued:  # a writer alone and the committer may both be counting
            self.commits += 1
            self.writes += len(group)
        for write in group:
            write.done.set()


def as_library_error(theirs: type[BaseException], message: str) -> Exception:
    """A write's own error as the library would have raised it, had it committed alone: a
    version clash is the `IntegrityError` that the application turns into a 409. Both
    drivers name their errors as PEP 249 does, and the library names its own alike."""
    for named in theirs.__mro__:
        ours = getattr(persistence, named.__name__, None)
        if isinstance(ours, type) and issubclass(ours, persistence.PersistenceError):
            return ours(message)
    return persistence.PersistenceError(message)


def tracked(kwargs: dict[str, Any]) -> bool:
    """Whether a save carries more than its events (a process application's tracking
    record): such a save is committed on its own, as the library records it. The
    application passes `tracking=None` with every plain save."""
    return any(value is not None for value in kwargs.values())


def group_commit_wanted(env: Any) -> bool:
    """Group commit when the environment turns it on (`CASEWORK_GROUP_COMMIT=on`)."""
    return env.get("CASEWORK_GROUP_COMMIT") == "on"
