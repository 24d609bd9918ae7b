"""One data key per stream, wrapped by a master key: what lets a case be forgotten.

Every stream (a case, a register, a person's account) is encrypted at rest
under a data key of its own (services/eventstore/encryption.py). The data keys
live here, each wrapped (AES-GCM) by the master key, which is a file by default
(`CASEWORK_MASTER_KEY_FILE`, 0600) behind the small `MasterKey` interface, so an
operator may put a KMS behind it later. Destroying a stream's data key makes
every copy of its events unreadable, those in backups included: that is how a
case is disposed of from a store that is append-only by design.

The key store also keeps the records that must outlive the data: disposals and
redactions. It is deliberately kept apart from the event store (on SQLite its
own file, `keys.sqlite`; on PostgreSQL its own tables, left out of `pg_dump`),
so a backup never holds a key and a restore never brings one back: a restore
reads these records to apply the disposals and redactions made after its backup.
"""

import base64
import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid4

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.eventstore.pg_vacuum import vacuum_unseen
from services.eventstore.side_tables import sqlite_transaction

KEY_CHECK = b"casework key check"
KEY_TABLES = ("casework_data_keys", "casework_key_check", "casework_disposals",
              "casework_redactions", "casework_sealed_tables")
_CACHED_KEYS = 100_000
FRESH_KEYS = 32
"""Data keys made at once for streams yet to be opened (see `KeyStore.fresh_stream_id`)."""


class KeyStoreError(Exception):
    """The key store cannot be used as it stands: the message says what is missing."""


class MasterKeyMissing(KeyStoreError):
    pass


class KeyDestroyed(KeyStoreError):
    """A write to a stream whose data key was destroyed (a case disposed of)."""


def stream_key(stream_id: Any) -> str:
    """One spelling of a stream id, whichever store spelled it (hex, UUID or text)."""
    if type(stream_id) is UUID:  # as every recorder hands them back: no parsing
        return str(stream_id)
    try:
        return str(UUID(str(stream_id)))
    except ValueError:
        return str(stream_id)


_KEY_ROW = "SELECT wrapped, destroyed_at FROM casework_data_keys WHERE stream_id = ?"
_NEW_KEY_ROW = ("INSERT INTO casework_data_keys (stream_id, wrapped, created_at) "
                "VALUES (?, ?, ?) ON CONFLICT (stream_id) DO NOTHING "
                "RETURNING wrapped, destroyed_at")


class MasterKey(Protocol):
    """Wraps and unwraps data keys; a file by default, a KMS behind the same two calls."""

    def wrap(self, key: bytes, label: str) -> bytes: ...

    def unwrap(self, wrapped: bytes, label: str) -> bytes: ...


@dataclass(frozen=True)
class FileMasterKey:
    """A 256-bit key in a file only the service's user may read."""

    secret: bytes
    path: Path

    @classmethod
    def load(cls, path: Path, *, make: bool) -> "FileMasterKey":
        if not path.exists():
            if not make:
                raise MasterKeyMissing(
                    f"the master key file {path} is missing, and the key store holds data "
                    "keys wrapped by it: restore that file (mode 0600) or point "
                    "CASEWORK_MASTER_KEY_FILE at it. casework will not start without it, "
                    "and never writes unencrypted data")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileExistsError):  # another process made it first
                fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as out:
                    out.write(base64.b64encode(AESGCM.generate_key(256)).decode() + "\n")
                    out.flush()
                    os.fsync(out.fileno())
        try:
            secret = base64.b64decode(path.read_text().strip(), validate=True)
        except (OSError, ValueError) as error:
            raise KeyStoreError(f"the master key file {path} cannot be read ({error})") \
                from None
        if len(secret) != 32:
            raise KeyStoreError(f"the master key file {path} does not hold a 256-bit key")
        return cls(secret, path)

    def wrap(self, key: bytes, label: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self.secret).encrypt(nonce, key, label.encode())

    def unwrap(self, wrapped: bytes, label: str) -> bytes:
        return AESGCM(self.secret).decrypt(wrapped[:12], wrapped[12:], label.encode())


def _now() -> str:
    return datetime.now(UTC).isoformat()


_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS casework_data_keys (stream_id TEXT PRIMARY KEY, "
    "wrapped BYTEA, created_at TEXT NOT NULL, destroyed_at TEXT)",
    "CREATE TABLE IF NOT EXISTS casework_key_check (id INTEGER PRIMARY KEY, wrapped BYTEA)",
    "CREATE TABLE IF NOT EXISTS casework_disposals (case_id TEXT PRIMARY KEY, "
    "disposed_at TEXT NOT NULL, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS casework_sealed_tables (place TEXT PRIMARY KEY, "
    "sealed_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS casework_redactions (id INTEGER PRIMARY KEY {auto}, "
    "stream_id TEXT NOT NULL, recorded_at TEXT NOT NULL, record TEXT NOT NULL)",
]


class KeyStore:
    """Data keys by stream, and the disposal and redaction records that outlive the data.

    Unwrapped keys are cached in memory (a command or a read unwraps each stream's key
    once); `destroy` drops it from this process's cache and overwrites the stored one.
    """

    def __init__(self, location: str, master_file: Path) -> None:
        self.location = location
        self.master_file = master_file
        self.postgres = location.startswith("postgres")
        self._lock = threading.RLock()
        self._keys: dict[str, bytes] = {}
        self._fresh: list[UUID] = []
        self._conn: Any = self._connect()
        with self._cursor() as run:
            if self.postgres:
                run("SELECT pg_advisory_xact_lock(%s)", (0x6B657973,))
            for statement in _SCHEMA:
                run(statement.format(auto="GENERATED BY DEFAULT AS IDENTITY"
                                     if self.postgres else "AUTOINCREMENT").replace(
                    "BYTEA", "BYTEA" if self.postgres else "BLOB"))
            check = run("SELECT wrapped FROM casework_key_check WHERE id = 1").fetchone()
        self.master = FileMasterKey.load(master_file, make=check is None)
        if check is None:
            with self._cursor() as run:
                run("INSERT INTO casework_key_check (id, wrapped) VALUES (1, ?) "
                    "ON CONFLICT (id) DO NOTHING", (self.master.wrap(KEY_CHECK, "check"),))
                check = run("SELECT wrapped FROM casework_key_check WHERE id = 1").fetchone()
        try:
            if self.master.unwrap(bytes(check[0]), "check") != KEY_CHECK:
                raise InvalidTag
        except InvalidTag:
            raise KeyStoreError(f"the master key in {master_file} does not open this store's "
                                "data keys: it is not the key they were wrapped with") from None

    # -- connections ---------------------------------------------------------------

    def _connect(self) -> Any:
        if self.postgres:
            url, _, schema = self.location.removeprefix("postgres:").partition("|")
            options = f"-c search_path={schema}" if schema else ""
            return psycopg.connect(url, autocommit=True, connect_timeout=5, options=options)
        path = Path(self.location.removeprefix("sqlite:"))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_RDWR | os.O_EXCL, 0o600))
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA secure_delete=ON")  # a destroyed key leaves no bytes behind
        return conn

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        """One transaction; yields a '?'-style runner."""
        with self._lock:
            if self.postgres:
                try:
                    with self._conn.transaction():
                        cur = self._conn.cursor()
                        yield lambda sql, args=(): cur.execute(sql.replace("?", "%s"), args)
                except psycopg.OperationalError:
                    self._conn = self._connect()  # the next call reconnects
                    raise
            else:
                with sqlite_transaction(self._conn, "BEGIN IMMEDIATE"):
                    yield self._conn.execute

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        """The first row of one statement, committed on its own, outside any transaction:
        the check every read and command makes (is this case's key destroyed?), and the
        making of a key that no one made ahead, one round trip each. In a transaction
        (`_cursor`) each took three or four on PostgreSQL, and on SQLite a read took the
        key store's write lock, which the API and the worker then waited on for each
        other's reads. Its rows are read to the end: SQLite commits a statement that
        writes only once it is done."""
        with self._lock:
            if not self.postgres:
                rows = self._conn.execute(sql, args).fetchall()
                return rows[0] if rows else None
            try:
                rows = self._conn.execute(sql.replace("?", "%s"), args).fetchall()
            except psycopg.OperationalError:
                self._conn = self._connect()  # the next call reconnects
                raise
            return rows[0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def settle(self) -> None:
        """Leave no old bytes of an overwritten key in the key store's files. SQLite: fold
        the WAL into the file and empty it (deleted bytes are zeroed: `secure_delete`).
        PostgreSQL keeps the row's old version beside the new one until a vacuum: vacuum
        the table now (its write-ahead log still holds it until recycled)."""
        if self.postgres:  # on a connection of its own: the wait must not hold up reads
            with self._connect() as conn, conn.cursor() as cursor:
                vacuum_unseen(cursor, "casework_data_keys")
            return
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- data keys -----------------------------------------------------------------

    def data_key(self, stream_id: Any, *, create: bool = False) -> bytes | None:
        """The stream's data key; None when destroyed or (without `create`) never made."""
        key = stream_key(stream_id)
        found = self._keys.get(key)
        if found is not None:
            return found
        row = self._one(_KEY_ROW, (key,))  # no transaction, nor the write lock, to read
        if row is None and create:
            # one statement, committed on its own: a transaction around an insert and a
            # read took four round trips on PostgreSQL, for every keyed outcome saved
            made = (key, self.master.wrap(AESGCM.generate_key(256), key), _now())
            row = self._one(_NEW_KEY_ROW, made) or self._one(_KEY_ROW, (key,))
        if row is None:
            return None
        if row[0] is None:
            if create:
                raise KeyDestroyed(f"the data key of {key} was destroyed on {row[1]}: "
                                   "nothing more can be recorded on it")
            return None
        data = self.master.unwrap(bytes(row[0]), key)
        with self._lock:
            if len(self._keys) >= _CACHED_KEYS:
                self._keys.clear()
            self._keys[key] = data
        return data

    def fresh_stream_id(self) -> UUID:
        """An id for a new stream whose data key is stored already.

        Keys for new streams are made FRESH_KEYS at a time in one transaction, so that
        opening a case waits for one durable commit (its events'), not also for one
        here. A key whose stream is never written (the process stopped first) opens
        nothing and names no case: a random id that nothing else uses.
        """
        with self._lock:
            if not self._fresh:
                self._fresh = self._make_keys(FRESH_KEYS)
            return self._fresh.pop()

    def _make_keys(self, count: int) -> list[UUID]:
        made = {uuid4(): AESGCM.generate_key(256) for _ in range(count)}
        with self._cursor() as run:
            for stream_id, data in made.items():
                run("INSERT INTO casework_data_keys (stream_id, wrapped, created_at) "
                    "VALUES (?, ?, ?)",
                    (str(stream_id), self.master.wrap(data, str(stream_id)), _now()))
        if len(self._keys) + count > _CACHED_KEYS:
            self._keys.clear()
        self._keys.update({str(stream_id): data for stream_id, data in made.items()})
        return list(made)

    def destroy(self, stream_id: Any) -> None:
        """Crypto-shred: overwrite the wrapped key, so no copy of the stream can be read."""
        key = stream_key(stream_id)
        with self._cursor() as run:
            run("INSERT INTO casework_data_keys (stream_id, wrapped, created_at, destroyed_at) "
                "VALUES (?, NULL, ?, ?) ON CONFLICT (stream_id) DO UPDATE "
                "SET wrapped = NULL, destroyed_at = excluded.destroyed_at",
                (key, _now(), _now()))
        with self._lock:
            self._keys.pop(key, None)
        self.settle()

    def is_destroyed(self, stream_id: Any) -> bool:
        """Asked of the store, not this process's cache: another process may have
        destroyed it (and then this process forgets its cached copy too)."""
        key = stream_key(stream_id)
        row = self._one(_KEY_ROW, (key,))
        destroyed = row is not None and row[0] is None
        if destroyed:
            with self._lock:
                self._keys.pop(key, None)
        return destroyed

    def destroyed_streams(self) -> set[str]:
        with self._cursor() as run:
            rows = run("SELECT stream_id FROM casework_data_keys WHERE wrapped IS NULL")
            return {row[0] for row in rows.fetchall()}

    def is_sealed_table(self, place: str) -> bool:
        """Whether every row of this events table is known to be sealed (made sealed, or
        sealed by `casework encrypt-store`)."""
        with self._cursor() as run:
            return run("SELECT 1 FROM casework_sealed_tables WHERE place = ?",
                       (place,)).fetchone() is not None

    def mark_sealed_table(self, place: str) -> None:
        with self._cursor() as run:
            run("INSERT INTO casework_sealed_tables (place, sealed_at) VALUES (?, ?) "
                "ON CONFLICT (place) DO NOTHING", (place, _now()))

    def has_keys(self) -> bool:
        with self._cursor() as run:
            return run("SELECT 1 FROM casework_data_keys LIMIT 1").fetchone() is not None

    # -- the records that outlive the data ------------------------------------------

    def record_disposal(self, case_id: Any, record: dict[str, Any]) -> None:
        with self._cursor() as run:
            run("INSERT INTO casework_disposals (case_id, disposed_at, record) VALUES (?, ?, ?)",
                (stream_key(case_id), _now(), json.dumps(record, sort_keys=True)))

    def disposals(self) -> list[dict[str, Any]]:
        with self._cursor() as run:
            rows = run("SELECT record FROM casework_disposals ORDER BY disposed_at").fetchall()
        return [json.loads(row[0]) for row in rows]

    def disposal(self, case_id: Any) -> dict[str, Any] | None:
        with self._cursor() as run:
            row = run("SELECT record FROM casework_disposals WHERE case_id = ?",
                      (stream_key(case_id),)).fetchone()
        return json.loads(row[0]) if row else None

    def record_redaction(self, record: dict[str, Any]) -> None:
        with self._cursor() as run:
            run("INSERT INTO casework_redactions (stream_id, recorded_at, record) "
                "VALUES (?, ?, ?)", (stream_key(record["stream_id"]), _now(),
                                     json.dumps(record, sort_keys=True, default=str)))

    def redactions(self) -> list[dict[str, Any]]:
        with self._cursor() as run:
            rows = run("SELECT record FROM casework_redactions ORDER BY id").fetchall()
        return [json.loads(row[0]) for row in rows]


# -- one key store per location per process ---------------------------------------

_OPEN: dict[tuple[str, str], tuple[KeyStore, int]] = {}
_OPEN_LOCK = threading.Lock()


def open_key_store(location: str, master_file: Path) -> KeyStore:
    """The process's key store at `location` (opened on first use; counted, see `release`)."""
    name = (location, str(master_file))
    with _OPEN_LOCK:
        store, users = _OPEN.get(name) or (None, 0)
        if store is None:
            store = KeyStore(location, master_file)
        _OPEN[name] = (store, users + 1)
        return store


def release_key_store(store: KeyStore) -> None:
    """One user fewer; the last one closes its connection."""
    name = (store.location, str(store.master_file))
    with _OPEN_LOCK:
        found, users = _OPEN.get(name) or (None, 0)
        if found is not store:
            return
        if users <= 1:
            del _OPEN[name]
            store.close()
        else:
            _OPEN[name] = (store, users - 1)
