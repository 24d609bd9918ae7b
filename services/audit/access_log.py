"""The access log: who read which case (or searched), in one hash-chained, append-only log.

It is not in any case's stream: a read changes nothing about the case, and a
case's history is what was known and done. Each record carries the hash of the
record before it, and the signed checkpoints sign the log's head with every
case's (services/audit/checkpoints.py, under the name `ACCESS_LOG_STREAM`), so a
record altered, removed or put out of order, even with every later hash
recomputed, is caught: online here (`AccessLogBook.verify`), offline from an
export (`verify_access_export`, behind `casework verify-access-log`).

One chain for every API process: each append takes the log's write lock (SQLite
`BEGIN IMMEDIATE`; PostgreSQL a transaction-scoped advisory lock), reads the
head and writes the next record in the same transaction, so two threads or two
replicas never both extend the same head.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from domain.access_log import MAX_QUERY_KEPT, Door, Seen
from services.eventstore.side_tables import SideTables

ACCESS_LOG_STREAM = "access-log"
"""The access log's name among the heads a checkpoint signs (no case id looks like it)."""
GENESIS = hashlib.sha256(b"casework-access-log-genesis").hexdigest()
"""What the first record names as the hash before it."""
ACCESS_LOG_LOCK = 7_342_110_015
"""PostgreSQL's advisory lock for appending (any number no other lock of casework uses)."""
SCHEME = "casework-access-log/1"

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS access_log (
    seq BIGINT PRIMARY KEY, at TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,
    what TEXT NOT NULL, door TEXT NOT NULL, case_id TEXT, reference TEXT, query TEXT,
    request_id TEXT NOT NULL, previous TEXT NOT NULL, hash TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS access_log_case ON access_log (case_id, seq)",
    "CREATE INDEX IF NOT EXISTS access_log_person ON access_log (username, seq)",
    """CREATE TABLE IF NOT EXISTS access_log_pruned (
    up_to BIGINT PRIMARY KEY, head TEXT NOT NULL, pruned_at TEXT NOT NULL,
    before TEXT NOT NULL)""",
]


@dataclass(frozen=True)
class Read:
    """One read by a person, as the API saw it (before it is numbered and chained)."""

    username: str
    role: str
    what: Seen
    door: Door
    case_id: str | None = None
    reference: str | None = None
    query: str | None = None  # a search's words, as typed (docs: "Who has seen what")
    request_id: str = ""


@dataclass(frozen=True)
class AccessRecord:
    """A read as the log keeps it: numbered, timed, and chained to the record before."""

    seq: int
    at: str
    username: str
    role: str
    what: str
    door: str
    case_id: str | None
    reference: str | None
    query: str | None
    request_id: str
    previous: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = ", ".join(f.name for f in fields(AccessRecord))


def record_hash(record: Mapping[str, Any]) -> str:
    """The SHA-256 of the record's fields but its own hash, as canonical JSON: what the next
    record names as `previous`, and what an offline check recomputes."""
    body = {f.name: record.get(f.name) for f in fields(AccessRecord) if f.name != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


@dataclass(frozen=True)
class LogHead:
    """The last record's number and hash (0 and GENESIS for an empty log)."""

    seq: int
    hash: str


def kept_here(cursor: Any, postgres: bool) -> bool:
    """Whether this database has the access log yet (migration 15)."""
    if postgres:
        cursor.execute("SELECT to_regclass('access_log') IS NOT NULL")
    else:
        cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'access_log'")
    return bool(cursor.fetchone()[0])


def read_head(cursor: Any) -> LogHead:
    """The head, in the caller's transaction: the last record, else the pruned-up-to marker."""
    cursor.execute("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
    row = cursor.fetchone()
    if row is None:
        cursor.execute("SELECT up_to, head FROM access_log_pruned ORDER BY up_to DESC LIMIT 1")
        row = cursor.fetchone()
    return LogHead(int(row[0]), row[1]) if row else LogHead(0, GENESIS)


class AccessLogBook(SideTables):
    """Appends reads to the access log, pages through it, and checks its chain."""

    schema = SCHEMA

    def append(self, read: Read) -> AccessRecord:
        """Number, time and chain the read, under the log's write lock; the record written."""
        with self._transaction(lock=True) as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (ACCESS_LOG_LOCK,))
            head = read_head(cursor)
            unchained = {**asdict(read), "what": str(read.what), "door": str(read.door),
                         "query": read.query[:MAX_QUERY_KEPT] if read.query else None,
                         "seq": head.seq + 1, "at": datetime.now(UTC).isoformat(),
                         "previous": head.hash}
            record = AccessRecord(**unchained, hash=record_hash(unchained))
            cursor.execute(f"INSERT INTO access_log ({_COLUMNS}) VALUES "
                           f"({', '.join('?' * len(fields(AccessRecord)))})",
                           tuple(record.as_dict().values()))
            return record

    # -- reading -----------------------------------------------------------------

    def of_case(self, case_id: str, *, before: int | None = None, limit: int = 50
                ) -> list[AccessRecord]:
        """The case's reads, newest first, `limit` at a time from before record `before`."""
        return self._page("case_id = ?", case_id, before, limit)

    def of_person(self, username: str, *, before: int | None = None, limit: int = 50
                  ) -> list[AccessRecord]:
        """A person's own reads and searches, newest first."""
        return self._page("username = ?", username, before, limit)

    def _page(self, where: str, value: str, before: int | None, limit: int
              ) -> list[AccessRecord]:
        with self._read() as cursor:
            cursor.execute(f"SELECT {_COLUMNS} FROM access_log WHERE {where} AND seq < ? "
                           "ORDER BY seq DESC LIMIT ?",
                           (value, before if before is not None else 2**62, limit))
            return [AccessRecord(*row) for row in cursor.fetchall()]

    def head(self) -> LogHead:
        with self._read() as cursor:
            return read_head(cursor)

    def pruned(self) -> LogHead | None:
        """The newest "pruned up to" marker: where the kept chain starts."""
        with self._read() as cursor:
            cursor.execute("SELECT up_to, head FROM access_log_pruned "
                           "ORDER BY up_to DESC LIMIT 1")
            row = cursor.fetchone()
        return LogHead(int(row[0]), row[1]) if row else None

    def every(self, *, batch: int = 1000) -> Iterator[AccessRecord]:
        """Every kept record, oldest first, read a batch at a time."""
        after = 0
        while True:
            with self._read() as cursor:
                cursor.execute(f"SELECT {_COLUMNS} FROM access_log WHERE seq > ? "
                               "ORDER BY seq LIMIT ?", (after, batch))
                rows = [AccessRecord(*row) for row in cursor.fetchall()]
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].seq

    def verify(self, signed: LogHead | None = None) -> str | None:
        """Why the stored chain does not hold (None: it holds), against a signed head if
        given (services/audit/checkpoints.py gives the latest checkpoint's)."""
        return chain_problem((r.as_dict() for r in self.every()), self.pruned(), signed)

    # -- retention ---------------------------------------------------------------

    def prune(self, before: datetime) -> LogHead | None:
        """Remove the oldest records read before `before`, leaving a marker with the last
        removed record's number and hash, so the kept chain still starts from a known
        hash and verifies. Only a prefix goes: the chain is one. None if nothing went."""
        with self._transaction(lock=True) as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (ACCESS_LOG_LOCK,))
            cursor.execute("SELECT seq, hash FROM access_log WHERE at < ? ORDER BY seq DESC "
                           "LIMIT 1", (before.astimezone(UTC).isoformat(),))
            row = cursor.fetchone()
            if row is None:
                return None
            cursor.execute("DELETE FROM access_log WHERE seq <= ?", (row[0],))
            cursor.execute("INSERT INTO access_log_pruned VALUES (?, ?, ?, ?)",
                           (row[0], row[1], datetime.now(UTC).isoformat(),
                            before.astimezone(UTC).isoformat()))
            return LogHead(int(row[0]), row[1])


def chain_problem(records: Iterable[Mapping[str, Any]], start: LogHead | None = None,
                  signed: LogHead | None = None) -> str | None:
    """The first break in a run of records, oldest first (None: unbroken). `start` is where
    the run begins (a pruned-up-to marker; else the genesis); `signed` a head a checkpoint
    signed, which must be in the run (else the log was cut or rewritten before it)."""
    head = start or LogHead(0, GENESIS)
    if signed is not None and signed.seq == head.seq and signed.hash != head.hash:
        return f"the log's start differs from what checkpoint signed at record {signed.seq}"
    signed_seen = signed is None or signed.seq <= head.seq
    for record in records:
        seq = record.get("seq")
        if seq != head.seq + 1:
            return (f"record {head.seq + 1} is missing (record {seq} follows record "
                    f"{head.seq}): removed, or put out of order")
        if record.get("previous") != head.hash:
            return f"record {seq} does not follow record {head.seq} (previous hash differs)"
        if record.get("hash") != record_hash(record):
            return f"record {seq} was altered (its hash does not match its fields)"
        head = LogHead(int(seq), str(record["hash"]))
        if signed is not None and head.seq == signed.seq:
            if head.hash != signed.hash:
                return (f"record {seq} differs from what checkpoint signed: the log was "
                        "rewritten")
            signed_seen = True
    if not signed_seen:
        assert signed is not None
        return (f"the log ends at record {head.seq}, but a checkpoint signed it up to record "
                f"{signed.seq}: records were cut off")
    return None
