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
Tested with eventsourcing 9.5.6 (pinned in constraints.txt).
"""

from time import time
from typing import Any

from eventsourcing.persistence import ConnectionUnavailableError
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory


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


class CaseworkSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, its datastore's pool a `WritersApartPool`."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        library = self.datastore.pool
        self.datastore.pool = WritersApartPool(
            db_name=library.db_name, lock_timeout=library.lock_timeout,
            pool_size=library.pool_size, max_overflow=library.max_overflow,
            pool_timeout=library.pool_timeout, max_age=library.max_age,
            pre_ping=library.pre_ping)
        library.close()
