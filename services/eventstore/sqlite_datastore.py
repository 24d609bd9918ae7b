"""The SQLite event store as casework uses it: readers never queue behind a commit.

The library's connection pool serves every request for a connection in turn
from one queue, for fairness, and a request to write waits in that queue for
the one writer's turn (SQLite has one writer at a time). So while one thread
commits (an fsync), the next writer waits at the head of the queue and every
read behind it waits too: in a burst of reminders, the worker's threads spent
a third of their time there, and a read of a region's policy that every step
makes held up the other steps while it waited. In WAL mode readers need not
wait for a writer at all, so here a writer waits for its turn before joining
the queue, and the queue only hands out connections. Writes are still one at
a time, in the order they asked, each in its own transaction as before.
Writes that arrive while one commits share the next commit (group_commit.py).
Tested with eventsourcing 9.5.6 (pinned in constraints.txt).
"""

import sqlite3
from collections.abc import Sequence
from time import time
from typing import Any

from eventsourcing.persistence import ConnectionUnavailableError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
)

from services.eventstore.group_commit import (
    GroupCommit,
    QueuedWrite,
    as_library_error,
    group_commit_wanted,
    tracked,
)
from services.eventstore.side_tables import sqlite_transaction


class WritersApartPool(SQLiteConnectionPool):
    """The library's pool, with a writer's wait for its turn kept out of the readers' queue."""

    def get_connection(self, timeout: float | None = None, *,
                       is_writer: bool | None = None) -> SQLiteConnection:
        if is_writer is not True or self._mutually_exclusive_read_write:
            return super().get_connection(timeout, is_writer=is_writer)
        timeout = self.pool_timeout if timeout is None else timeout
        started = time()
        if not self._writer_lock.acquire(timeout=timeout):
            raise ConnectionUnavailableError("Timed out waiting for return of writer")
        try:
            conn = super().get_connection(self._time_remaining(timeout, started))
        except BaseException:
            self._writer_lock.release()
            raise
        conn.is_writer = True  # so that putting it back releases the writer's turn
        with self._put_condition:
            self._num_writers += 1
        return conn


_THE_WRITES_OWN = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError,
                   sqlite3.InterfaceError, sqlite3.NotSupportedError)
"""Errors one write brings on itself, as against errors of the store it is written to."""


def refusal(error: Exception) -> Exception:
    """A write's own error, named as the library names it (`as_library_error`); an error
    that is not the driver's (a value it cannot bind) stays as it is."""
    if not isinstance(error, sqlite3.Error):
        return error
    named = as_library_error(type(error), str(error))
    named.__cause__ = error
    return named


class GroupCommitSQLiteRecorder(SQLiteApplicationRecorder):
    """Saves events in group commits: each write under a savepoint, one COMMIT."""

    group_commit: GroupCommit | None = None

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        if self.group_commit is None or tracked(kwargs):
            return super().insert_events(stored_events, **kwargs)
        return self.group_commit.write(stored_events)

    def record_group(self, group: list[QueuedWrite]) -> None:
        """One transaction: a lone write as the library records it, or each of several
        under its own savepoint, so that a refused write takes none of the others with it.

        A group takes the write lock as it begins (BEGIN IMMEDIATE), so that it waits for
        another process's transaction once; taken at each write's first insert, a lock
        held elsewhere past the timeout cost every write in the group a timeout in turn."""
        if len(group) == 1:
            with self.datastore.transaction(commit=True) as cursor:
                group[0].ids = self._insert_events(cursor, group[0].events)
            return
        with self.datastore.get_connection(commit=True) as conn:
            plain = conn._sqlite_conn  # noqa: SLF001 - the pinned library's one way to it
            try:
                with sqlite_transaction(plain, "BEGIN IMMEDIATE"):
                    cursor = conn.cursor()
                    for write in group:
                        self._record_under_savepoint(cursor, write)
            except sqlite3.Error as error:
                raise refusal(error) from error

    def _record_under_savepoint(self, cursor: SQLiteCursor, write: QueuedWrite) -> None:
        """The write, or its refusal: a clash, or a value SQLite cannot hold, is the write's
        own; anything the store itself says (locked, full, damaged) fails the group."""
        cursor.execute("SAVEPOINT write")
        try:
            write.ids = self._insert_events(cursor, write.events)
        except Exception as error:
            if isinstance(error, sqlite3.Error) and not isinstance(error, _THE_WRITES_OWN):
                raise
            cursor.execute("ROLLBACK TO write")
            write.error = refusal(error)
        cursor.execute("RELEASE write")


class CaseworkSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory: its datastore's pool a `WritersApartPool`, its
    application recorder committing in groups when `CASEWORK_GROUP_COMMIT=on`."""

    application_recorder_class = GroupCommitSQLiteRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        library = self.datastore.pool
        self.datastore.pool = WritersApartPool(
            db_name=library.db_name, lock_timeout=library.lock_timeout,
            pool_size=library.pool_size, max_overflow=library.max_overflow,
            pool_timeout=library.pool_timeout, max_age=library.max_age,
            pre_ping=library.pre_ping)
        library.close()

    def application_recorder(self) -> Any:
        recorder = super().application_recorder()
        if isinstance(recorder, GroupCommitSQLiteRecorder) and group_commit_wanted(self.env):
            recorder.group_commit = GroupCommit(recorder.record_group)
        return recorder
