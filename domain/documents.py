"""Documents on the record: what a file attached to a case is, in the sector's words.

A document is evidence (the inspection letter, the diagnostic report, the minutes of
a meeting) kept with the case. The case's event records the file's facts (its
SHA-256, size, media type and a display name), so the file is bound into the hash
chain; the bytes live in a blob store under their hash (services/documents/).

The filename is a display name only, never a path: one holding a folder separator
(`/` or a backslash) is refused rather than trimmed, so `../../etc/passwd` never reaches a
store, a log or a download's header looking like a path; the text rule every door
shares (domain/text.py) refuses control characters, and it is capped in
length. Nothing here reads or writes a file.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import DomainError, InvalidField
from domain.text import text_problem

FILENAME_LIMIT = 200
"""The longest display name kept; a longer one is shortened, keeping its extension."""
_SHA256 = re.compile("^[0-9a-f]{64}$")


class DocumentKind(StrEnum):
    """What a document is, as inspectors and coordinators call it."""

    INSPECTION_REPORT = "inspection report"
    MINUTES = "minutes"
    PEER_FINDINGS = "peer findings"
    LETTER = "letter"
    PLAN = "plan"
    OTHER = "other"


class DocumentStep(StrEnum):
    """The step of the case a document belongs to. The steps of which a case may have
    several (a plan action, a deployment, a meeting, a review) name which one by a
    `step_ref` (domain/case/documents.py)."""

    CASE = "the case as a whole"
    INTELLIGENCE = "the concern's intelligence"
    DIAGNOSIS = "the diagnosis"
    PLAN_ACTION = "a plan action"
    PEER_VISIT = "a peer deployment's visit"
    JOINT_MEETING = "a joint local meeting"
    GOVERNMENT_MEETING = "the government meeting"
    PROGRESS_REVIEW = "a progress review"
    CLOSURE = "the closure"


@dataclass(frozen=True)
class MediaType:
    """A type of file casework keeps: its media type, plain name and usual extension."""

    media_type: str
    name: str
    extension: str


ACCEPTED: dict[str, MediaType] = {m.media_type: m for m in (
    MediaType("application/pdf", "PDF", ".pdf"),
    MediaType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "Word document (.docx)", ".docx"),
    MediaType("application/vnd.oasis.opendocument.text", "ODF text document (.odt)", ".odt"),
    MediaType("application/vnd.oasis.opendocument.spreadsheet", "ODF spreadsheet (.ods)",
              ".ods"),
    MediaType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "Excel spreadsheet (.xlsx)", ".xlsx"),
    MediaType("text/csv", "CSV", ".csv"),
    MediaType("text/plain", "plain text", ".txt"),
    MediaType("image/png", "PNG image", ".png"),
    MediaType("image/jpeg", "JPEG image", ".jpg"),
)}
"""Every type of file a document may be, by media type: one table for the upload's
check, the pages' words and the download's Content-Type."""


def display_filename(value: Any) -> str:
    """The name a file is shown by: plain text, at most FILENAME_LIMIT characters.
    Refused (InvalidField naming `filename`) when it holds a control character, a
    folder separator (rule filename_is_a_path), or names no file."""
    if not isinstance(value, str):
        raise InvalidField("filename must be text", field="filename")
    found = text_problem(value, "filename", multiline=False)
    if found is not None:
        raise InvalidField(found[1], field="filename", rule=found[0])
    if re.search(r"[/\\]", value):
        raise InvalidField("filename must be a file's name, not a path (no / or \\)",
                           field="filename", rule="filename_is_a_path")
    name = value.strip()
    if name in ("", ".", ".."):
        raise InvalidField("filename must name a file, not a folder", field="filename")
    if len(name) > FILENAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        keep = f"{dot}{extension}" if dot and len(extension) <= 10 else ""
        name = name[:FILENAME_LIMIT - len(keep)] + keep
    return name


@dataclass(frozen=True)
class StoredFile:
    """The facts of a stored file that a case records: its SHA-256 (lower-case hex), its
    size in bytes, its media type (one of ACCEPTED) and its display name."""

    sha256: str
    size: int
    media_type: str
    filename: str

    @classmethod
    def of(cls, fields: Any) -> "StoredFile":
        """Checked from primitives (as the command handler passes them); each refusal
        names the field."""
        if not isinstance(fields, dict):
            raise InvalidField("stored must be an object", field="stored")
        sha256, size = fields.get("sha256"), fields.get("size")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise InvalidField("sha256 must be 64 lower-case hexadecimal digits",
                               field="sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidField("size must be a whole number of bytes above 0 (an empty "
                               "file is no evidence)", field="size")
        media_type = fields.get("media_type")
        if media_type not in ACCEPTED:
            raise InvalidField(f"media_type {media_type!r} is not a type casework keeps",
                               field="media_type")
        return cls(sha256, size, str(media_type), display_filename(fields.get("filename")))

    def as_fields(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type,
                "filename": self.filename}


class DocumentGone(DomainError):
    """A document redacted (domain/case/redaction.py): its bytes are deleted for good;
    the history keeps its hash, its title and the note of why."""

    rule = "document_redacted"

    def __init__(self, document_id: str, note: str) -> None:
        super().__init__(f"This document was {note}", field="document_id")
        self.document_id = document_id
        self.note = note


class DocumentTampered(DomainError):
    """A stored document's bytes no longer hash to what its event recorded."""

    rule = "document_tampered"

    def __init__(self, document_id: str, title: str, problem: str) -> None:
        super().__init__(f"The document \"{title}\" cannot be given: {problem}. Its stored "
                         "file was changed or lost since it was attached; report it as "
                         "tampering", field="document_id")
        self.document_id = document_id
