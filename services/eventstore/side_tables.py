"""Tables of casework's own beside the event store, in the same database.

SQLite keeps one connection per thread (opening costs more than a query);
PostgreSQL one small pool for the process (services/eventstore/pg_pools.py). The
same '?'-style SQL runs on both. On SQLite every connection overwrites what it
deletes or replaces with zeros (`secure_delete`), so text a row held does not
linger in the file's free space once the row is gone or rewritten; `settle` then
folds the write-ahead log into the file and empties it, so no older copy of a
page lingers there either.
"""

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg_pool import ConnectionPool

from services.eventstore.pg_pools import release_side_pool, side_pool
from services.eventstore.postgres_recorder import SCHEMA_LOCK
from services.platform.settings import Settings

MAPPED_BYTES = 1 << 30
"""How much of the SQLite file each side-table connection reads through memory-mapped
I/O (SQLite maps no more than the file holds). A search or a worklist joins its matches
to rows scattered over a file far larger than a connection's page cache (2 MB by
default): read page by page, each such row cost a system call, and the case list's
rows looked up for a search's 1,000 matches cost four times the full-text query that
found them. Mapped, the pages are read from the operating system's cache in place,
shared by every connection rather than copied into each. Writes are not mapped."""


@contextmanager
def sqlite_transaction(conn: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[None]:
    """One transaction on a connection in autocommit (`isolation_level=None`).

    BEGIN is inside the `try`. A Temporal worker stopping cancels a running activity by
    raising in its thread, and the exception comes the moment a waiting BEGIN IMMEDIATE
    returns: raised outside the `try`, it left the connection inside the transaction, and
    the next use failed ("cannot start a transaction within a transaction"). Rolled back
    only when one is open (not when BEGIN failed, nor once COMMIT is done).
    """
    try:
        conn.execute(begin)
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class SideTables:
    """A connection to the event store's database, and the schema to create in it."""

    schema: list[str] = []

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.postgres = settings.store == "postgres"
        self._local = threading.local()
        self._sqlite_connections: list[sqlite3.Connection] = []
        if self.postgres:  # one pool for the process: PostgreSQL counts every connection
            self._pool: ConnectionPool = side_pool(settings.postgres_url,
                                                   settings.postgres_schema)
            # given back on close, or when this object is collected without one
            self._release = weakref.finalize(self, release_side_pool, self._pool)
        with self._transaction() as cursor:
            if self.postgres:  # one process at a time: IF NOT EXISTS races in PostgreSQL
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            for statement in self.schema:
                cursor.execute(statement)

    # -- storage -----------------------------------------------------------------

    def _connection(self) -> Any:
        """SQLite: one connection per thread, kept open (opening costs more than a query)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.settings.sqlite_path, timeout=30,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA mmap_size = {MAPPED_BYTES}")
            conn.execute("PRAGMA secure_delete = ON")
            self._local.conn = conn
            self._sqlite_connections.append(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[Any]:
        """A single read in autocommit: no BEGIN/COMMIT round trips for one query."""
        if not self.postgres:
            yield self._connection().cursor()
            return
        with self._pool.connection() as conn, conn.cursor() as cursor:
            yield _PgCursor(cursor)

    @contextmanager
    def _transaction(self, *, lock: bool = False) -> Iterator[Any]:
        """One transaction; on SQLite, `lock` takes the write lock at BEGIN."""
        if self.postgres:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                yield _PgCursor(cursor)
            return
        conn = self._connection()
        with sqlite_transaction(conn, "BEGIN IMMEDIATE" if lock else "BEGIN"):
            yield conn.cursor()

    def settle(self, *, attempts: int = 20) -> bool:
        """SQLite: fold the write-ahead log into the database file and empty it, so the
        older copies of pages it held (a row's text before it was deleted) are gone from
        the disk too. Other connections' readers and writers are waited for (the busy
        timeout) and the checkpoint tried again while they keep it from finishing;
        whether it finished. PostgreSQL: nothing to do here (True)."""
        if self.postgres:
            return True
        conn = self._connection()
        for attempt in range(attempts):
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.05 * (attempt + 1))
        return False

    def close(self) -> None:
        if self.postgres:
            self._release()  # once only, however often close is called
        for conn in self._sqlite_connections:
            conn.close()
        self._sqlite_connections.clear()


class _PgCursor:
    """Lets the same '?'-style SQL run on psycopg."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Any = ()) -> None:
        self.cursor.execute(sql.replace("?", "%s"), params)

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> Any:
        return self.cursor.fetchall()
