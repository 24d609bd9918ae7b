"""Documents kept before they were sealed, sealed for each case that records them.

Before encryption at rest, a document's bytes were kept once by their SHA-256 alone,
in clear, shared by every case that recorded them. `casework encrypt-store` calls
`encrypt_existing_documents` once the cases' events are sealed (so each case has its
data key): for every case that records a legacy document it keeps a copy sealed
under that case's key, checked against the hash as it is written; then it removes
each legacy copy whose every case has its own. It can be stopped and run again at
any point: a case that has its sealed copy is passed over, and a legacy copy is
removed only once nothing needs it. A case disposed of meanwhile (its key destroyed)
gets no copy. A legacy copy whose bytes no longer match their hash is not sealed
(its case's download already refuses it as changed at rest) and is kept, named in
the result, for an operator to look into.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from services.caselist.migrations import migrate
from services.cases.document_sweep import recorded_documents
from services.cases.service import CaseService
from services.documents.blobs import (
    BlobMissing,
    BlobStore,
    HashMismatch,
    Held,
    KeyDestroyed,
    build_blob_store,
)
from services.platform.settings import Settings

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """No progress wanted."""


@dataclass
class SealedDocuments:
    """What a run did: copies sealed now, found sealed already, passed over because their
    case was disposed of, legacy copies removed, and those left (damaged or missing)."""

    sealed: int = 0
    already: int = 0
    disposed: int = 0
    removed: int = 0
    damaged: list[Held] = field(default_factory=list)
    missing: list[Held] = field(default_factory=list)


def encrypt_existing_documents(settings: Settings,
                               progress: Progress = _quiet) -> SealedDocuments:
    """Seal every legacy document for each case that records it, then remove the legacy
    copies no case still needs; resumable. Progress at each tenth of the way."""
    migrate(settings)  # the tables of sealed copies, on PostgreSQL
    store = build_blob_store(settings)
    cases = CaseService(settings.eventsourcing_env())
    try:
        return seal_legacy_documents(store, cases, progress)
    finally:
        cases.close()
        store.close()


def seal_legacy_documents(store: BlobStore, cases: CaseService,
                          progress: Progress = _quiet) -> SealedDocuments:
    done = SealedDocuments()
    legacy = set(store.legacy_hashes())
    if not legacy:
        progress("no document is kept unsealed")
        return done
    needing: dict[str, list[UUID]] = defaultdict(list)
    for held in sorted(recorded_documents(cases)):
        if held.sha256 in legacy:
            needing[held.sha256].append(held.case_id)
    copies = sum(len(ids) for ids in needing.values())
    progress(f"{len(legacy)} documents kept unsealed, {copies} copies to seal for "
             f"the cases that record them")
    report = _Tenths(progress, copies)
    for sha256 in sorted(legacy):
        every_case_has_its_own = True
        for case_id in needing.get(sha256, []):
            every_case_has_its_own &= _sealed(store, done, Held(case_id, sha256))
            report.step()
        if every_case_has_its_own:  # (or no case records it: bytes no case names)
            store.delete_legacy(sha256)
            done.removed += 1
    progress(f"sealed {done.sealed} copies ({done.already} sealed before, {done.disposed} "
             f"of cases disposed of); removed {done.removed} unsealed documents"
             + (f"; {len(done.damaged)} kept unsealed: their bytes do not match their hash"
                if done.damaged else ""))
    return done


def _sealed(store: BlobStore, done: SealedDocuments, held: Held) -> bool:
    """Whether the case now has its sealed copy (or needs none: disposed of); False
    leaves the legacy copy in place."""
    if store.exists(*held):
        done.already += 1
        return True
    try:
        store.put(held.case_id, store.open_legacy(held.sha256), sha256=held.sha256)
    except KeyDestroyed:
        done.disposed += 1
        return True
    except HashMismatch:
        done.damaged.append(held)
        return False
    except BlobMissing:
        done.missing.append(held)
        return False
    done.sealed += 1
    return True


class _Tenths:
    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.count, self.last = progress, total, 0, -1

    def step(self) -> None:
        self.count += 1
        tenth = self.count * 10 // self.total if self.total else 10
        if tenth != self.last:
            self.last = tenth
            self.progress(f"sealed {self.count} of {self.total} copies")
