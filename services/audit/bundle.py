"""The evidence bundle: a case's history and its documents in one zip an inspector keeps.

A bundle holds `history.jsonl` (exactly the JSON Lines export its reader gets,
closing line and checkpoint evidence included), each document that reader may see
under `documents/<document_id>-<safe name>`, and `manifest.json` saying what is where.
What a document is comes from the history's own DocumentAttached lines, which the
hash chain covers; the manifest is an index, covered by nothing, so the offline
check (services/audit/bundle_check.py) uses it only to find files. A document
withheld from the reader (Chatham House) is listed as withheld, without its bytes;
a document redacted (a later DocumentRedacted line names it) is listed with its hash
and the note of its redaction, without its bytes, which are deleted.

The zip is written to a temporary file, each document streamed from the blob store
and hashed as it is packed: a stored file whose bytes no longer match the hash its
event recorded refuses the whole bundle (`DocumentTampered`), so no altered
evidence is ever handed out. Nothing is held whole in memory.
"""

import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from domain.case.redaction import redaction_note
from domain.confidentiality import DOCUMENT_ATTACHED, WITHHELD
from domain.documents import ACCEPTED, DocumentTampered

HISTORY = "history.jsonl"
MANIFEST = "manifest.json"
DOCUMENTS = "documents/"
FORMAT = 1
NAME_LIMIT = 100
"""The longest safe name kept after a document's id in its zip entry's name."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_ID = re.compile(r"^document-[0-9]+$")
DOCUMENT_REDACTED = "DocumentRedacted"

Reader = Callable[[str], Iterable[bytes]]
"""The bytes kept under a SHA-256, in chunks (a blob store's `open`); NotKept when none
are kept."""


class NotKept(Exception):
    """No file is kept under the hash a document recorded."""


@dataclass(frozen=True)
class BundledDocument:
    """One document as its reader's history shows it: where it sits in the bundle, or
    that it is withheld."""

    document_id: str
    version: int
    title: str
    sha256: str | None
    size: int | None
    media_type: str | None
    path: str | None
    redacted: str | None = None
    """The note of its redaction ("redacted on {date}: {reason}"): its bytes are gone."""

    @property
    def withheld(self) -> bool:
        return self.sha256 is None

    @property
    def packed(self) -> bool:
        """Whether the bundle holds its bytes."""
        return not self.withheld and self.redacted is None

    def entry(self) -> dict[str, Any]:
        """Its manifest entry."""
        if self.withheld:
            return {"document_id": self.document_id, "version": self.version,
                    "withheld": WITHHELD}
        if self.redacted is not None:
            return {"document_id": self.document_id, "version": self.version,
                    "sha256": self.sha256, "redacted": self.redacted}
        return {"document_id": self.document_id, "version": self.version, "path": self.path,
                "sha256": self.sha256, "size": self.size, "media_type": self.media_type}


def safe_name(filename: Any, media_type: Any) -> str:
    """A display name fit for a zip entry: letters, digits, dot, dash, underscore and
    space only, no leading dot, never a folder or `..`; the type's extension when
    nothing is left."""
    name = _UNSAFE.sub("_", str(filename or "")).strip(" ._")[:NAME_LIMIT].strip(" ._")
    if name and "." in name:
        return name
    kind = ACCEPTED.get(str(media_type))
    return f"{name or 'document'}{kind.extension if kind else ''}"


def documents_in(records: Iterable[dict[str, Any]]) -> list[BundledDocument]:
    """Every document the history's lines show, oldest first: shown with its hash, or
    withheld (its hash listed only as a commitment), or redacted."""
    found = []
    records = list(records)
    gone = _redacted(records)
    for record in records:
        data = record.get("data")
        if record.get("type") != DOCUMENT_ATTACHED or not isinstance(data, dict):
            continue
        document_id = str(data.get("document_id"))
        if not _ID.match(document_id):
            continue
        if "sha256" not in data:
            found.append(BundledDocument(document_id, record["version"], WITHHELD, None, None,
                                         None, None))
            continue
        path = f"{DOCUMENTS}{document_id}-{safe_name(data.get('filename'), data.get('media_type'))}"
        found.append(BundledDocument(document_id, record["version"], str(data.get("title")),
                                     str(data["sha256"]),
                                     int(data["size"]), str(data.get("media_type")), path,
                                     gone.get(document_id)))
    return found


def _redacted(records: list[dict[str, Any]]) -> dict[str, str]:
    """The documents the history's DocumentRedacted lines name, with each one's note."""
    notes = {}
    for record in records:
        data = record.get("data")
        if record.get("type") == DOCUMENT_REDACTED and isinstance(data, dict):
            try:
                at = datetime.fromisoformat(str(data.get("recorded_at")))
            except ValueError:
                continue
            notes[str(data.get("document_id"))] = redaction_note(at, str(data.get("reason")))
    return notes


def write_bundle(target: IO[bytes], lines: list[str], read: Reader,
                 about: dict[str, Any]) -> list[BundledDocument]:
    """Write the bundle into `target` (a seekable file): the history, each document its
    reader may see (checked against its recorded hash as it is packed) and the
    manifest, which adds `about` (the case, its reference, when and for whom)."""
    records = [json.loads(line) for line in lines if line.strip()]
    documents = documents_in(records)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(HISTORY, "\n".join(lines) + "\n")
        for document in documents:
            if document.packed:
                _pack(bundle, document, read)
        manifest = {"format": FORMAT, **about, "history": HISTORY,
                    "documents": [d.entry() for d in documents]}
        bundle.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return documents


def _pack(bundle: zipfile.ZipFile, document: BundledDocument, read: Reader) -> None:
    """One document, streamed from the store into the zip and hashed on the way."""
    assert document.path is not None and document.sha256 is not None
    digest, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo(document.path, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED  # documents are mostly compressed already
    info.external_attr = 0o600 << 16
    with bundle.open(info, "w", force_zip64=(document.size or 0) >= zipfile.ZIP64_LIMIT) \
            as entry:
        for chunk in _chunks(read, document):
            digest.update(chunk)
            size += len(chunk)
            entry.write(chunk)
    if digest.hexdigest() != document.sha256 or size != document.size:
        raise DocumentTampered(document.document_id, document.title,
                               "its bytes do not match the SHA-256 its history recorded")


def _chunks(read: Reader, document: BundledDocument) -> Iterator[bytes]:
    try:
        yield from read(str(document.sha256))
    except NotKept:
        raise DocumentTampered(document.document_id, document.title,
                               "no file is kept for it") from None
