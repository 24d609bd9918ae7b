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
"""

from typing import Any

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier


class PolledPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Saves events through a per-table function that locks, inserts and returns ids."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema, table = Identifier(datastore.schema), Identifier(self.events_table_name)
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
        ).format(schema=schema, function=Identifier(function),
                 event=Identifier(self.stored_event_type_name),
                 lock_timeout=datastore.lock_timeout, table=table)

    def _notify_channel(self, curs: Any) -> None:
        """Nobody listens: every casework reader polls the notification log."""
        return None
