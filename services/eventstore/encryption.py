"""Every stored event and snapshot encrypted at rest under its stream's data key.

The recorder is wrapped, so everything above it (the chain, the mapper, the
verification, the exports, the backups' checks) reads and writes the plain
chained state exactly as before, and the chain's commitments stay computed on
the plaintext: verification and exports do not change. Each stored state is

    b"ce1:" + 12-byte nonce + AES-GCM(data key, chained state, aad)

where the additional data binds the bytes to their stream, version and topic, so
a row copied to another place no longer opens. A state without the prefix (a
store from before encryption, until `casework encrypt-store` has run) is read
as it is. A state that does not open (its key destroyed, its bytes altered) is
handed up unchanged, and the mapper names it as unreadable (chain.py).
"""

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder

from services.eventstore.keys import KeyStore, KeyStoreError, stream_key
from services.eventstore.pg_vacuum import vacuum_unseen

SEALED = b"ce1:"
UNSEALED = b"ce0:"
"""Marks a plain state found in a stream whose events are sealed: never read as an event."""


def _aad(stored: StoredEvent, spelt: str | None = None) -> bytes:
    """What a sealed row is bound to: its stream (`spelt` once for a read's rows), its
    version and its topic, so that a row copied elsewhere does not open."""
    stream = spelt if spelt is not None else stream_key(stored.originator_id)
    return f"{stream}|{stored.originator_version}|{stored.topic}".encode()


def seal(key: bytes, stored: StoredEvent) -> bytes:
    nonce = os.urandom(12)
    return SEALED + nonce + AESGCM(key).encrypt(nonce, stored.state, _aad(stored))


def is_sealed(state: bytes) -> bool:
    return state[:4] == SEALED


class EncryptingRecorder:
    """The library's recorder, with each state sealed on the way in and opened on the way
    out; every other attribute is the wrapped recorder's."""

    def __init__(self, recorder: Any, keys: KeyStore) -> None:
        self.inner = recorder
        self.keys = keys
        self.postgres = isinstance(recorder, PostgresAggregateRecorder)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    # -- in --------------------------------------------------------------------------

    def sealed(self, stored: StoredEvent) -> StoredEvent:
        key = self.keys.data_key(stored.originator_id, create=True)
        assert key is not None  # create=True makes one or raises KeyDestroyed
        return StoredEvent(originator_id=stored.originator_id,
                           originator_version=stored.originator_version,
                           topic=stored.topic, state=seal(key, stored))

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        return self.inner.insert_events([self.sealed(s) for s in stored_events], **kwargs)

    # -- out -------------------------------------------------------------------------

    def opened(self, state: bytes, stored: StoredEvent,
               streams: dict[Any, tuple[AESGCM | None, str]] | None = None) -> bytes:
        """The plain state, or the sealed bytes unchanged when they do not open. A plain
        state is read as it is only in a stream that has no data key (a store from before
        encryption, until `casework encrypt-store` has sealed it): in any other stream it
        was written around casework, and is handed up marked as such.

        `streams` keeps each stream's cipher and spelt id across one read's rows: a load
        opens a snapshot and the events after it, all of one stream, and looking its key
        up, building its cipher and spelling its id for each row was most of the time
        encryption added to a load."""
        known = streams.get(stored.originator_id) if streams is not None else None
        if known is None:
            key = self.keys.data_key(stored.originator_id)
            known = (AESGCM(key) if key is not None else None,
                     stream_key(stored.originator_id))
            if streams is not None:
                streams[stored.originator_id] = known
        cipher, spelt = known
        if not is_sealed(state):
            return state if cipher is None else UNSEALED + state
        if cipher is None:
            return state
        try:
            return cipher.decrypt(state[4:16], state[16:], _aad(stored, spelt))
        except InvalidTag:
            return state

    def select_events(self, *args: Any, **kwargs: Any) -> list[StoredEvent]:
        streams: dict[Any, tuple[AESGCM | None, str]] = {}
        return [StoredEvent(originator_id=s.originator_id,
                            originator_version=s.originator_version, topic=s.topic,
                            state=self.opened(s.state, s, streams))
                for s in self.inner.select_events(*args, **kwargs)]

    def select_notifications(self, *args: Any, **kwargs: Any) -> list[Notification]:
        streams: dict[Any, tuple[AESGCM | None, str]] = {}
        return [Notification(id=n.id, originator_id=n.originator_id,
                             originator_version=n.originator_version, topic=n.topic,
                             state=self.opened(n.state, n, streams))
                for n in self.inner.select_notifications(*args, **kwargs)]

    # -- rewriting, for disposal and redaction ----------------------------------------

    @property
    def table(self) -> str:
        """The events table, qualified by its schema on PostgreSQL."""
        name = self.inner.events_table_name
        return f'"{self.inner.datastore.schema}"."{name}"' if self.postgres else name

    def _id(self, originator_id: Any) -> Any:
        """The id as the store's own queries spell it (SQLite keeps a UUID as hex)."""
        if self.postgres:
            return originator_id
        return originator_id.hex if isinstance(originator_id, UUID) else originator_id

    def _run(self, statements: Iterable[tuple[str, tuple[Any, ...]]]) -> int:
        """Run statements in one transaction; how many rows they touched."""
        touched = 0
        with self.inner.datastore.transaction(commit=True) as cursor:
            if not self.postgres:
                cursor.execute("PRAGMA secure_delete=ON")  # rewritten bytes are zeroed
            for sql, args in statements:
                cursor.execute(sql.replace("?", "%s") if self.postgres else sql, args)
                counted = getattr(cursor, "sqlite_cursor", cursor)  # SQLite's own cursor
                touched += max(counted.rowcount, 0)
        return touched

    def replace_state(self, stored: StoredEvent) -> None:
        """Overwrite one stored event's state (sealed here) in place: for redaction only."""
        table = self.table
        self._run([(f"UPDATE {table} SET state = ? WHERE originator_id = ? "  # noqa: S608
                    "AND originator_version = ?",
                    (self.sealed(stored).state, self._id(stored.originator_id),
                     stored.originator_version))])

    def delete_stream(self, originator_id: Any) -> int:
        table = self.table
        return self._run([(f"DELETE FROM {table} WHERE originator_id = ?",  # noqa: S608
                           (self._id(originator_id),))])

    def settle(self) -> None:
        """Leave no old bytes of a rewritten or deleted row in the table's files. SQLite:
        fold the WAL into the file and empty it (deleted bytes are zeroed: `secure_delete`).
        PostgreSQL keeps a row's old version in the table's pages until a vacuum (a
        redacted event's, sealed under a key that still opens it): vacuum it now."""
        if self.postgres:
            with self.inner.datastore.get_connection() as conn, conn.cursor() as cursor:
                vacuum_unseen(cursor, self.table)
            return
        path = Path(getattr(self.inner.datastore.pool, "db_name", ""))
        if path.name and path.exists():
            with sqlite3.connect(path, timeout=30) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()

    @property
    def place(self) -> str:
        """This events table, named so that the key store can remember it is sealed."""
        where = getattr(self.inner.datastore, "pool", None)
        return f"{getattr(where, 'db_name', 'postgres')}|{self.table}"

    def any_with(self, comparison: str) -> bool:
        """Whether a stored state's first four bytes compare so ('=' or '<>') to SEALED."""
        cut = "substring(state, 1, 4)" if self.postgres else "substr(state, 1, 4)"
        with self.inner.datastore.transaction(commit=False) as cursor:
            cursor.execute((f"SELECT 1 FROM {self.table} WHERE {cut} {comparison} ? "  # noqa: S608
                            "LIMIT 1").replace("?", "%s" if self.postgres else "?"), (SEALED,))
            return cursor.fetchone() is not None


def refuse_a_store_in_the_clear(recorder: EncryptingRecorder) -> None:
    """Events in the clear from before encryption: `casework encrypt-store` seals them
    first (a new event sealed beside them would make the stream's old ones unreadable).
    Checked once per table: an empty or wholly sealed table is remembered as sealed."""
    if recorder.keys.is_sealed_table(recorder.place):
        return
    if recorder.any_with("<>"):
        raise KeyStoreError(
            "this store holds events written before encryption at rest: stop the service "
            "and run `casework encrypt-store` (it can be stopped and run again) before "
            "starting it")
    recorder.keys.mark_sealed_table(recorder.place)


def refuse_a_lost_key_store(recorder: EncryptingRecorder) -> None:
    """A new, empty key store beside a store of sealed events: its keys were lost."""
    if not recorder.keys.has_keys() and recorder.any_with("="):
        raise KeyStoreError(
            f"the key store ({recorder.keys.location}) holds no data keys, but the event "
            "store holds encrypted events: the key store was lost or replaced. Restore it "
            "from where it is kept; casework will not start without it")
