"""Redaction in the store: the case records it, then the text itself is erased everywhere.

A redaction is recorded first, as an event of the case (domain/case/redaction.py),
by the one command handler the API and the pages share. Then `Redactor.apply`
carries it out, and is safe to run again (a retry, a restart half-way, a restored
backup): each field redacted on the case and not yet erased in the store is rewritten
to its note, keeping its salted commitment (`redact_field`, services/eventstore/store.py);
each redacted document's copy is deleted (the case's own, sealed under its key),
unless the case records the same file in another document it has not redacted; the
key store keeps a record of each (services/eventstore/keys.py), which a restore of an
older backup applies again; the case leaves the aggregate cache, and the
views derived from it (the case list, the search index) are rebuilt from the redacted
history by the callbacks given.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import InvalidField
from services.cases.service import CaseService
from services.documents.blobs import BlobStore
from services.eventstore.chain import Redacted, split
from services.eventstore.keys import KeyStore

log = logging.getLogger("casework.redaction")

View = Callable[[UUID], None]
"""A view derived from a case, rebuilt from its history as it now stands."""


class Redactor:
    """Carries out the redactions a case records, in the store and in what derives from it."""

    def __init__(self, cases: CaseService, keys: KeyStore | None, documents: BlobStore, *,
                 views: Sequence[View] = ()) -> None:
        self.cases = cases
        self.keys = keys
        self.documents = documents
        self.views = list(views)

    def apply(self, case_id: UUID) -> int:
        """Erase what the case's redactions name and is not yet erased; how many were."""
        case = self.cases.repository.get(case_id)
        done = self._recorded()
        erased = 0
        for redaction in case.redactions.values():
            erased += self._erase_field(case_id, redaction, done)
        for document in case.documents:
            if document.get("redacted"):
                erased += self._erase_document(case_id, document, done)
        self.forget(case_id)
        return erased

    def document_note(self, case_id: UUID, sha256: str) -> str | None:
        """The note of a redaction of this case's document that the key store records
        (a store restored from before it does not record it itself)."""
        return next((str(r.get("note")) for r in self._records()
                     if str(r.get("stream_id")) == str(case_id)
                     and r.get("sha256") == sha256), None)

    def forget(self, case_id: UUID) -> None:
        """The case out of the aggregate cache, its derived views rebuilt."""
        cache = self.cases.repository.cache
        if cache is not None:
            self.cases.repository.checkout(case_id)  # evicts it
        for view in self.views:
            view(case_id)

    def _recorded(self) -> set[tuple[str, Any, Any]]:
        """What the key store already records as redacted: (stream, version, field) and
        (stream, None, sha256)."""
        return {(str(r.get("stream_id")), r.get("version"), r.get("field") or r.get("sha256"))
                for r in self._records()}

    def _records(self) -> list[dict[str, Any]]:
        """The key store's redaction records (none where encryption is off: the bench)."""
        return self.keys.redactions() if self.keys is not None else []

    def _keep(self, record: dict[str, Any]) -> None:
        if self.keys is not None:
            self.keys.record_redaction(record)

    def _erase_field(self, case_id: UUID, redaction: dict[str, Any],
                     done: set[tuple[str, Any, Any]]) -> int:
        version, field, note = redaction["version"], redaction["field"], redaction["note"]
        erased = 0
        if not self.is_erased(case_id, version, field):
            commitment = self.cases.redact_field(case_id, version, field, note)
            log.info("case %s: %s of version %s redacted (commitment %s kept)", case_id,
                     field, version, commitment)
            erased = 1
        if (str(case_id), version, field) not in done:
            self._keep(_record(case_id, redaction, version=version, field=field))
        return erased

    def is_erased(self, case_id: UUID, version: int, field: str) -> bool:
        """Whether the stored event already holds the note in the field's place."""
        stored = list(self.cases.recorder.select_events(case_id, gt=version - 1, lte=version))
        if not stored:
            return True  # nothing left to erase (a restored older store has no such event)
        header = split(stored[0].state)
        plain = header.plain if header is not None else stored[0].state
        value = self.cases.decode_state(plain).get(field)
        return value is None or isinstance(value, Redacted)

    def _erase_document(self, case_id: UUID, document: dict[str, Any],
                        done: set[tuple[str, Any, Any]]) -> int:
        sha256, redacted = document["sha256"], document["redacted"]
        erased = 0
        if self.documents.exists(case_id, sha256) and not unredacted_in_case(
                self.cases, case_id, sha256):
            self.documents.delete_document(case_id, sha256)
            erased = 1
        if (str(case_id), None, sha256) not in done:
            self._keep(_record(case_id, redacted, version=None, sha256=sha256,
                               document_id=document["document_id"]))
        return erased


def _record(case_id: UUID, redaction: dict[str, Any], **which: Any) -> dict[str, Any]:
    at = redaction["redacted_at"]
    return {"stream_id": str(case_id), **which, "note": redaction["note"],
            "reason": redaction["reason"], "by": redaction["redacted_by"],
            "at": at.isoformat() if isinstance(at, datetime) else str(at)}


def unredacted_in_case(cases: CaseService, case_id: UUID, sha256: str, *,
                       redacted: frozenset[str] = frozenset()) -> bool:
    """Whether the case records this file in a document it has not redacted (the same file
    attached twice, one of them redacted): then its copy stays. `redacted`: documents the
    key store records as redacted, which a history restored from before does not. Another
    case's copy of the same file is that case's own, under its own key, never touched here."""
    case = cases.repository.get(case_id)
    return any(d.get("sha256") == sha256 and not d.get("redacted")
               and d.get("document_id") not in redacted for d in case.documents)


def reapply(cases: CaseService, keys: KeyStore, documents: BlobStore, *,
            views: Sequence[View] = (), say: Callable[[str], None] = print) -> int:
    """After a restore: apply again every redaction the key store records (a backup
    taken before a redaction holds the text it erased). How many were applied again."""
    redactor = Redactor(cases, keys, documents, views=views)
    again, touched = 0, set()
    records = keys.redactions()
    for record in records:
        case_id = UUID(str(record["stream_id"]))
        if record.get("field"):
            version = int(record["version"])
            if redactor.is_erased(case_id, version, record["field"]):
                continue
            try:
                cases.redact_field(case_id, version, record["field"], record["note"])
            except InvalidField as refused:  # the store holds another event there now
                say(f"  could not redact again {record['field']} of a case's event: "
                    f"{refused.message}")
                continue
        elif record.get("sha256"):
            sha256 = str(record["sha256"])
            redacted = frozenset(str(r.get("document_id")) for r in records
                                 if r.get("sha256") and r.get("stream_id") == str(case_id))
            if not documents.exists(case_id, sha256) or unredacted_in_case(
                    cases, case_id, sha256, redacted=redacted):
                continue
            documents.delete_document(case_id, sha256)
        again += 1
        touched.add(case_id)
    for case_id in touched:
        redactor.forget(case_id)
    return again
