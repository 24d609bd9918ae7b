"""Documents' bytes that no case records: found and removed, never the ones a case names.

An upload's file is kept in the blob store before the command that records it (a
recorded document whose bytes are missing must never happen), so a process killed
between the two, or a command refused after the file was kept, leaves bytes that
no case names. At start-up the API removes those older than an hour (an upload in
flight on another replica may have kept its file a moment ago and not yet recorded
it), with the incoming folder's and the store's half-written files. Which hashes
are recorded is read from the events themselves, not from a side table that could
lag behind them.
"""

import fcntl
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.case import Case
from services.cases.service import CaseService
from services.documents.blobs import BlobStore, Held
from services.eventstore.chain import UnreadableEvent

log = logging.getLogger(__name__)
DOCUMENT_ATTACHED = get_topic(Case.DocumentAttached)
AN_HOUR = 3600.0
JUST_MADE = 1.0
"""Seconds a new incoming file is spared, between its creation and its writer's lock."""


@dataclass(frozen=True)
class Swept:
    """What a sweep removed: half-written files and kept files no case names."""

    partials: int
    orphans: int


def recorded_documents(cases: CaseService) -> set[Held]:
    """Every (case, SHA-256) a DocumentAttached event records, but those of cases disposed
    of (their key destroyed: neither the events nor the copies can be read again). Any
    other event that cannot be read stops the sweep (it raises): a file is never removed
    on a guess."""
    found: set[Held] = set()
    start = 1
    while batch := cases.recorder.select_notifications(start=start, limit=1000,
                                                       topics=[DOCUMENT_ATTACHED]):
        for stored in batch:
            try:
                event = cases.mapper.to_domain_event(stored)
            except UnreadableEvent:
                if _disposed_of(cases, stored.originator_id):
                    continue
                raise
            found.add(Held(UUID(str(stored.originator_id)), event.sha256))  # type: ignore[attr-defined]
        start = batch[-1].id + 1
    return found


def _disposed_of(cases: CaseService, case_id: UUID | str) -> bool:
    keys = getattr(cases, "key_store", None)
    return keys is not None and keys.is_destroyed(case_id)


def case_records(cases: CaseService, case_id: UUID, sha256: str) -> bool:
    """Whether the case's own history records a document of these bytes."""
    return any(stored.topic == DOCUMENT_ATTACHED
               and getattr(cases.mapper.to_domain_event(stored), "sha256", None) == sha256
               for stored in cases.recorder.select_events(case_id))


def sweep(store: BlobStore, cases: CaseService, *, older_than: float = AN_HOUR) -> Swept:
    """Remove what uploads cut short left in the incoming folder and the store, and the
    kept copies older than `older_than` seconds that their case does not record."""
    partials = _discard_incoming(store.incoming) + store.discard_partials(
        older_than)
    recorded = recorded_documents(cases)
    cutoff, orphans = time.time() - older_than, 0
    for held in list(store.held()):
        kept_at = store.stored_at(*held)
        if (held not in recorded and held not in _in_flight and kept_at is not None
                and kept_at <= cutoff):
            store.delete_document(*held)
            orphans += 1
    if partials or orphans:
        log.warning("removed %d half-written and %d unrecorded document files",
                    partials, orphans)
    return Swept(partials, orphans)


_in_flight: Counter[Held] = Counter()
_in_flight_lock = threading.Lock()


def hold(case_id: UUID, sha256: str) -> None:
    """An upload of these bytes to this case is between keeping its file and recording
    it: until `release`, a refusal of another upload of the same bytes to the case
    leaves the file alone."""
    with _in_flight_lock:
        _in_flight[Held(case_id, sha256)] += 1


def release(case_id: UUID, sha256: str) -> None:
    held = Held(case_id, sha256)
    with _in_flight_lock:
        _in_flight[held] -= 1
        if _in_flight[held] <= 0:
            del _in_flight[held]


def forget_if_unrecorded(store: BlobStore, cases: CaseService, case_id: UUID,
                         sha256: str) -> bool:
    """After a refused command (the caller still holding its upload): remove the case's
    copy just kept, unless the case records it (the same file attached to it before)
    or another upload of the same bytes to the case in this process is still on its
    way to being recorded (a double click with a stale form). Whether it was removed.
    Across API replicas the hour the sweep waits is what protects such an upload: a
    refusal on one replica racing the same upload on another is the one case not
    covered. Another case's copy of the same bytes is its own, never touched here."""
    with _in_flight_lock:
        if _in_flight[Held(case_id, sha256)] > 1:
            return False
    if case_records(cases, case_id, sha256):
        return False
    store.delete_document(case_id, sha256)
    return True


def _discard_incoming(folder: Path) -> int:
    """Uploads being received when a process was killed: never kept, never served. A
    process receiving one holds a lock on its file (api/uploads.py) that dies with it,
    so a file whose lock can be taken is one no living process is writing."""
    removed = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and _abandoned(path):
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _abandoned(path: Path) -> bool:
    if time.time() - path.stat().st_mtime < JUST_MADE:
        return False  # (made a moment ago: its writer may not have locked it yet)
    with open(path, "rb") as file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
