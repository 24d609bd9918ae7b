"""Disposing of a case on an administrator's confirmation, and the record that stays.

The rules are the domain's (domain/retention.py): an administrator, a closed case,
on or after the date the retention schedule allows, with a reason. On confirmation:

1. a checkpoint is signed (when a signing key is configured), so the case's last
   head is under a signed root, and the disposal record is written to the key store
   with that checkpoint and the case's inclusion proof: what an inspector checks;
2. the case's data key is destroyed, so every copy of its events, backups included,
   can no longer be read;
3. its events and snapshots are erased, its rows leave the case list, the search
   index and the retention list (SQLite: zeroed, and the write-ahead log emptied);
4. its documents' copies are deleted (each case keeps its own copy of a file, sealed
   under its own key: another case's copy of the same file is not touched).

Steps 2 to 4 are `finish`, which is safe to repeat: a disposal cut short by a crash
is finished by the next one, and a restore of a backup taken before it finishes it
on the restored store (services/ops/backup.py).
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.calendar import LONDON
from domain.identity import Principal, may
from domain.retention import DisposalCandidate, RetentionSchedule, check_disposal
from services.audit.checkpoints import CheckpointLedger, NoSigningKey
from services.audit.signing import signed_record
from services.caselist.projection import CaseListView
from services.caselist.retention import RetentionBook
from services.cases.service import CaseDisposed, CaseService
from services.documents.blobs import BlobStore, build_blob_store
from services.eventstore.keys import KeyStore
from services.eventstore.store import NotFound
from services.platform.settings import Settings

log = logging.getLogger("casework.records")

Progress = Callable[[str], None]


def day_in_words(moment: datetime) -> str:
    """'5 December 2026' (the day in London)."""
    moment = moment.astimezone(LONDON)
    return f"{moment.day} {moment.strftime('%B %Y')}"


class Disposals:
    """Disposes of closed cases the schedule allows, and reads the disposal records."""

    def __init__(self, cases: CaseService, case_list: CaseListView, book: RetentionBook,
                 documents: BlobStore, checkpoints: CheckpointLedger | None,
                 schedule: RetentionSchedule) -> None:
        self.cases, self.case_list, self.book = cases, case_list, book
        self.documents, self.checkpoints, self.schedule = documents, checkpoints, schedule

    @property
    def keys(self) -> KeyStore:
        keys = self.cases.key_store
        if keys is None:
            raise RuntimeError("encryption is off: nothing can be disposed of")
        return keys

    # -- what is due -------------------------------------------------------------

    def due(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Every closed case the schedule lets be disposed of now."""
        self.book.catch_up(self.cases)
        return self.book.due(self.schedule, now or datetime.now(UTC))

    def propose_due(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """The retention sweep: propose to administrators every case newly due (never
        disposing of one), and finish any disposal a crash cut short."""
        self.book.catch_up(self.cases)
        self.finish_unfinished()
        return self.book.propose_due(self.schedule, now or datetime.now(UTC))

    # -- disposing ---------------------------------------------------------------

    def dispose(self, case_id: UUID, *, who: Principal, reason: str,
                now: datetime | None = None) -> dict[str, Any]:
        """Dispose of the case if the rules allow (else a DomainError naming the rule,
        and nothing changes); the disposal record kept."""
        now = now or datetime.now(UTC)
        disposed = self.keys.disposal(case_id)
        if disposed is not None:
            raise CaseDisposed(disposed)
        case = self.cases.get_case(case_id)
        closure = case.get("closure") or {}
        candidate = DisposalCandidate(case["status"], case["region"], closure.get("outcome"),
                                      closure.get("closed_at"))
        rule = check_disposal(self.schedule, candidate, by_admin=may(who, "dispose of case"),
                              reason=reason, now=now)
        record = self._record(case, rule_name=rule.name, who=who, reason=reason.strip(),
                              now=now, allowed_from=rule.disposal_allowed_from(
                                  closure["closed_at"]))
        if record["checkpoint"] is not None and self.checkpoints is not None \
                and self.checkpoints.key is not None:
            record = signed_record(record, self.checkpoints.key)  # checked whole, offline
        self.keys.record_disposal(case_id, record)
        self.finish(case_id)
        log.info("case %s (%s) disposed of by %s under %s", case_id, record["reference"],
                 who.id, rule.name)
        return record

    def _record(self, case: dict[str, Any], *, rule_name: str, who: Principal, reason: str,
                now: datetime, allowed_from: datetime) -> dict[str, Any]:
        case_id = case["id"]
        verified = self.cases.verify(case_id)
        checkpoint, proof = self._signed(case_id)
        closure = case["closure"]
        return {
            "case_id": str(case_id), "reference": case.get("reference"),
            "authority": case["authority"], "region": case["region"],
            "opened_at": _iso(case["raised_at"]), "closed_at": _iso(closure["closed_at"]),
            "outcome": closure.get("outcome"),
            "disposed_at": _iso(now), "disposed_on": day_in_words(now),
            "confirmed_by": who.id, "confirmed_by_name": who.name or who.id,
            "reason": reason, "rule": rule_name, "allowed_from": _iso(allowed_from),
            "head": {"version": case["version"], "hash": verified.head_hash,
                     "verified": verified.ok},
            "checkpoint": checkpoint, "inclusion_proof": proof,
            "documents": sorted({d["sha256"] for d in case.get("documents") or ()}),
        }

    def _signed(self, case_id: UUID) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """A checkpoint signing the case's last head (written now if anything moved), and
        the case's inclusion proof in it; (None, None) without a signing key."""
        if self.checkpoints is None:
            return None, None
        try:
            self.checkpoints.write(self.cases, only_if_changed=True)
        except NoSigningKey:
            return None, None
        latest = self.checkpoints.latest()
        if latest is None:
            return None, None
        return latest.body(), self.checkpoints.proof(latest.id, case_id)

    def finish(self, case_id: UUID | str) -> None:
        """Destroy the case's data key, erase its events, drop its rows and delete its
        documents' copies. Safe to repeat."""
        if not self.keys.is_destroyed(case_id):
            self.keys.destroy(case_id)
        self.cases.erase_stream(UUID(str(case_id)))
        forget_listed(self.case_list, self.book, [str(case_id)])
        self.documents.delete_case_documents(UUID(str(case_id)))  # its own copies only

    def finish_unfinished(self) -> int:
        """Finish every recorded disposal whose case still has events (a crash between
        the record and the erasure); how many."""
        unfinished = [r for r in self.keys.disposals()
                      if self.cases.recorder.select_events(UUID(r["case_id"]), limit=1)]
        for record in unfinished:
            self.finish(record["case_id"])
        return len(unfinished)

    # -- the records ---------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every disposal record, newest first."""
        return sorted(self.keys.disposals(), key=lambda r: r.get("disposed_at", ""),
                      reverse=True)

    def record(self, case_id: UUID) -> dict[str, Any]:
        found = self.keys.disposal(case_id)
        if found is None:
            raise NotFound(f"no disposal record for case {case_id}", field="case_id",
                           rule="no_disposal_record")
        return found


def _iso(value: Any) -> str | None:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def forget_listed(case_list: CaseListView, book: RetentionBook, case_ids: list[str]) -> None:
    """Take the cases out of the case list, its tally, the search index and the retention
    list in one transaction; on SQLite the deleted bytes are zeroed, the full-text index
    merged without them, and the write-ahead log folded in and emptied
    (`CaseListView.forget_cases`)."""
    case_list.forget_cases(case_ids, also=book.forget)


def reapply_disposals(settings: Settings) -> int:
    """After a restore: finish every disposal the key store records whose case the
    restored store still holds (a backup taken before it); how many."""
    cases = CaseService(settings.eventsourcing_env())
    opened: list[Any] = [cases]
    try:
        if cases.key_store is None or not cases.key_store.disposals():
            return 0
        case_list, book = CaseListView(settings), RetentionBook(settings)
        documents = build_blob_store(settings)
        opened += [case_list, book, documents]
        return Disposals(cases, case_list, book, documents, None,
                         settings.retention_schedule()).finish_unfinished()
    finally:
        for each in reversed(opened):
            each.close()
