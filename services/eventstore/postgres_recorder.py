"""The PostgreSQL event recorder as casework uses it: one round trip per save.

The library's recorder saves in a pipelined transaction (BEGIN, lock, NOTIFY,
INSERT, COMMIT): four round trips, several times the cost of a plain insert.
Its optional database function does it in one statement, but without the table
lock that keeps notification ids in commit order, and under one function name
per schema, which several applications sharing a schema would overwrite. This
recorder installs a function per events table that takes the lock and inserts,
called as one autocommitted statement. Readers that follow the notification log
(the read models, the reconciler) therefore never pass over an id that commits
later. There is no NOTIFY: casework's readers poll, as they must on SQLite.
Writes that arrive while one commits share the next commit (group_commit.py):
a second function records a group of writes in one statement, each in a block
of its own, so that a write refused on a version clash is refused alone.

Several API and worker processes may start at once on an empty schema. The
library creates its types, tables and functions with IF NOT EXISTS and CREATE
OR REPLACE, which PostgreSQL does not make safe against each other (a unique
violation in pg_type, "tuple concurrently updated"), so `SchemaLockedPostgresFactory`
creates them one process at a time under the advisory lock the migrations take.
Tested with eventsourcing 9.5.6 (pinned in constraints.txt).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    Notification,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import retry
from psycopg import InterfaceError, OperationalError
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from services.eventstore.group_commit import (
    GroupCommit,
    QueuedWrite,
    as_library_error,
    group_commit_wanted,
    tracked,
)

SCHEMA_LOCK = 0x6361_7365  # "case": the one number every casework process locks on


@contextmanager
def schema_lock(datastore: Any) -> Iterator[None]:
    """Hold the schema lock on a connection of its own while the body creates tables."""
    with datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


class SchemaLockedPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, creating each recorder's tables under the lock."""

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        with schema_lock(self.datastore):
            return super().aggregate_recorder(purpose)

    def application_recorder(self) -> ApplicationRecorder:
        with schema_lock(self.datastore):
            recorder = super().application_recorder()
        if isinstance(recorder, PolledPostgresApplicationRecorder) and group_commit_wanted(
                self.env):
            recorder.group_commit = GroupCommit(recorder.record_group)
        return recorder


def refusal(sqlstate: str, message: str) -> Exception:
    """A write's own error, from the code the server gave it, as the library names it."""
    try:
        theirs: type[BaseException] = psycopg.errors.lookup(sqlstate)
    except KeyError:
        return persistence.DatabaseError(f"{sqlstate}: {message}")
    return as_library_error(theirs, message)


class PolledPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Saves events through a per-table function that locks, inserts and returns ids."""

    group_commit: GroupCommit | None = None

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema, table = Identifier(datastore.schema), Identifier(self.events_table_name)
        # what both insert functions' text names besides the function itself
        names = dict(schema=schema, table=table, lock_timeout=datastore.lock_timeout,
                     event=Identifier(self.stored_event_type_name))
        function = f"{self.events_table_name}_insert"[:63]
        self.pg_function_name_insert_events = function
        self.sql_invoke_pg_function_insert_events = SQL(
            "SELECT * FROM {schema}.{function}((%s))"
        ).format(schema=schema, function=Identifier(function))
        self.sql_create_statements[self.create_insert_function_statement_index] = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ BEGIN"
            "    SET LOCAL lock_timeout = '{lock_timeout}s';"
            "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
            "    RETURN QUERY"
            "    INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, "
            "    state) SELECT originator_id, originator_version, topic, state"
            "    FROM unnest(events) RETURNING notification_id;"
            " END; $BODY$"
        ).format(function=Identifier(function), **names)

        group_function = f"{self.events_table_name}_insert_group"[:63]
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[], "
            "sizes integer[]) RETURNS TABLE (write integer, notification_ids bigint[], "
            "error_code text, error_message text) LANGUAGE plpgsql AS $BODY$"
            " DECLARE first integer := 1; BEGIN"
            "    SET LOCAL lock_timeout = '{lock_timeout}s';"
            "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE;"
            "    FOR i IN 1 .. coalesce(array_length(sizes, 1), 0) LOOP"
            "      write := i; notification_ids := NULL; error_code := NULL; error_message := NULL;"
            "      BEGIN"
            "        WITH inserted AS (INSERT INTO {schema}.{table} (originator_id, "
            "        originator_version, topic, state) SELECT originator_id, "
            "        originator_version, topic, state"
            "        FROM unnest(events[first : first + sizes[i] - 1])"
            "        RETURNING notification_id)"
            "        SELECT array_agg(notification_id ORDER BY notification_id)"
            "        INTO notification_ids FROM inserted;"
            "      EXCEPTION WHEN OTHERS THEN"
            "        error_code := SQLSTATE; error_message := SQLERRM;"
            "      END;"
            "      first := first + sizes[i];"
            "      RETURN NEXT;"
            "    END LOOP;"
            " END; $BODY$"
        ).format(function=Identifier(group_function), **names))
        self.sql_insert_group = SQL(
            "SELECT write, notification_ids, error_code, error_message"
            " FROM {schema}.{function}(%s, %s::integer[])"
        ).format(schema=schema, function=Identifier(group_function))

        self.sql_select_page = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s"
        ).format(schema=schema, table=table)

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        if self.group_commit is None or tracked(kwargs) or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        return self.group_commit.write(stored_events)

    def record_group(self, group: list[QueuedWrite]) -> None:
        """One autocommitted statement: a lone write through the one-write function, or
        several through the group function, each refused or recorded on its own."""
        if len(group) == 1:
            group[0].ids = super().insert_events(group[0].events)
            return
        self._record_together(group)

    def _record_together(self, group: list[QueuedWrite]) -> None:
        """The group in one statement; if the statement itself is refused for what one
        write holds (a value the server cannot take, refused before any write's block
        runs), each write on its own, so that only that write is refused."""
        try:
            self._record_in_one_statement(group)
        except (persistence.DataError, persistence.ProgrammingError):
            for write in group:
                try:
                    write.ids = super().insert_events(write.events)
                    write.error = None
                except persistence.PersistenceError as error:
                    write.error = error

    @retry((persistence.InterfaceError, persistence.OperationalError), max_attempts=10, wait=0.2)
    def _record_in_one_statement(self, group: list[QueuedWrite]) -> None:
        events = [self.construct_pg_stored_event(e.originator_id, e.originator_version,
                                                 e.topic, e.state)
                  for write in group for e in write.events]
        sizes = [len(write.events) for write in group]
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.sql_insert_group, (events, sizes), prepare=True)
            rows = curs.fetchall()
        for number, ids, error_code, error_message in rows:
            write = group[number - 1]
            if error_code is None:
                write.ids = list(ids)
            else:
                write.error = refusal(error_code, error_message)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *,
                             inclusive_of_start: bool = True) -> Sequence[Notification]:
        """A page of the log from `start`, as the library reads it, but fetched in binary
        as plain rows: half the time for a page of events, which the read models'
        rebuild and catch-up read page after page. Other selections go to the library."""
        if start is None or stop is not None or topics or not inclusive_of_start:
            return super().select_notifications(start, limit, stop, topics,
                                                inclusive_of_start=inclusive_of_start)
        with (self.datastore.get_connection() as conn,
              conn.cursor(binary=True, row_factory=tuple_row) as curs):
            curs.execute(self.sql_select_page, (start, limit), prepare=True)
            return [Notification(id=n, originator_id=o, originator_version=v, topic=t,
                                 state=bytes(s)) for n, o, v, t, s in curs.fetchall()]

    def _notify_channel(self, curs: Any) -> None:
        """Nobody listens: every casework reader polls the notification log."""
        return None
