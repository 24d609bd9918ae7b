"""Receiving a file over HTTP: multipart/form-data parsed as it streams in.

Starlette's `request.form()` spools the whole body before a route can look at it,
so a 2 GB upload would be read (and written to disk) before it could be refused.
Here the body is fed to python-multipart's push parser chunk by chunk: the file
part is hashed and written to a private temporary file in the blob store's
incoming folder as it arrives, and refused (413) the moment it passes the size
limit. Only a whole, well-formed body whose file is one of the accepted types
(decided by its bytes: services/documents/content.py) reaches the blob store.
Whatever happens, the temporary file is removed before the answer; one a killed
process left is removed at the next start (services/cases/document_sweep.py),
told from one being received by the lock its writer holds.
"""

import fcntl
import hashlib
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from api.threads import in_thread
from domain.documents import StoredFile, display_filename
from domain.errors import DomainError, InvalidField
from services.cases.document_sweep import hold, release
from services.documents.blobs import BlobStore, KeyDestroyed
from services.documents.content import FileTooLarge, identify
from services.eventstore.store import NotFound

FILE = "file"
"""The form field that carries the file."""
FIELD_LIMIT = 2000
"""The most characters a text field of the form may hold (a title is at most 200)."""
FORM_ALLOWANCE = 64 * 1024
"""Bytes a body may hold beyond the file's limit: its text fields, headers, boundaries."""
PART_LIMIT = 16
"""The most parts a form may have."""
_TEMPORARY = ".upload-"
_FIELDS_READ = "fields_read"


@dataclass(frozen=True)
class Upload:
    """A received upload: the form's text fields and the facts of the file now kept in
    the blob store (its hash, size, media type found by content, display name)."""

    fields: dict[str, str]
    stored: StoredFile


@dataclass
class _Part:
    """The part being read: its headers, then its name and (for the file) its filename."""

    headers: dict[str, str] = field(default_factory=dict)
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str = ""
    filename: str | None = None
    text: bytearray = field(default_factory=bytearray)


class _Receiving:
    """The push parser's callbacks: text fields kept (capped), the file hashed and
    written to `temporary` as its bytes arrive."""

    def __init__(self, temporary: Path, *, limit: int, fields: Collection[str],
                 declared_too_large: bool = False) -> None:
        self.temporary, self.limit, self.accepted = temporary, limit, fields
        self.declared_too_large = declared_too_large
        self.fields: dict[str, str] = {}
        self.part = _Part()
        self.parts = 0
        self.file: BinaryIO | None = None
        self.filename: str | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self.ended = False

    def callbacks(self) -> dict[str, object]:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.data,
                "on_part_end": self.part_end, "on_end": self.end}

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > PART_LIMIT:
            raise InvalidField(f"the form may have at most {PART_LIMIT} fields",
                               field="body", rule="too_many_fields")
        self.part = _Part()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.part.header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.part.header_value += data[start:end]

    def header_end(self) -> None:
        name = bytes(self.part.header_name).decode("latin-1").strip().lower()
        self.part.headers[name] = bytes(self.part.header_value).decode("latin-1")
        self.part.header_name, self.part.header_value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        disposition, options = parse_options_header(
            self.part.headers.get("content-disposition", ""))
        name = options.get(b"name")
        if disposition != b"form-data" or name is None:
            raise InvalidField("each part of the form must name its field",
                               field="body", rule="multipart_invalid")
        self.part.name = _text(name, "body")
        if self.part.name == FILE:
            self._open_file(_filename(self.part.headers["content-disposition"]))
        elif self.part.name not in self.accepted:
            raise InvalidField(f"{self.part.name} is not a field of this form",
                               field=self.part.name, rule="unknown_field")
        elif self.part.name in self.fields:
            raise InvalidField(f"{self.part.name} is given twice",
                               field=self.part.name, rule="given_twice")

    def _open_file(self, filename: bytes | None) -> None:
        if self.declared_too_large:  # the text fields before it are read; no byte of it
            raise FileTooLarge(self.limit)
        if self.file is not None or self.filename is not None:
            raise InvalidField("send one file per request", field=FILE, rule="one_file_only")
        if filename is None:
            raise InvalidField("the file field must be a file, with its filename",
                               field=FILE, rule="not_a_file")
        self.filename = display_filename(_text(filename, "filename"))
        descriptor = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # held while this process lives: a
        # start-up sweep removes only the uploads no living process holds
        self.file = os.fdopen(descriptor, "wb")

    def data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.name != FILE:
            self.part.text += chunk
            if len(self.part.text) > FIELD_LIMIT * 4:
                raise InvalidField(f"{self.part.name} must be at most {FIELD_LIMIT} "
                                   "characters", field=self.part.name, rule="too_long")
            return
        self.size += len(chunk)
        if self.size > self.limit:
            raise FileTooLarge(self.limit)
        self.digest.update(chunk)
        assert self.file is not None
        self.file.write(chunk)

    def part_end(self) -> None:
        if self.part.name == FILE:
            assert self.file is not None
            self.file.flush()  # kept open, and locked, until the upload is done with
            return
        value = _text(bytes(self.part.text), self.part.name)
        if len(value) > FIELD_LIMIT:
            raise InvalidField(f"{self.part.name} must be at most {FIELD_LIMIT} characters",
                               field=self.part.name, rule="too_long")
        self.fields[self.part.name] = value

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self.file is not None and not self.file.closed:
            self.file.close()


_FILENAME = re.compile(r';\s*filename\s*=\s*(?:"([^"]*)"|([^;\s]*))', re.IGNORECASE)


def _filename(disposition: str) -> bytes | None:
    """The filename as the client sent it. Read here, not by python-multipart's header
    parser, which quietly trims a Windows path to its last part: a path is refused
    (domain/documents.py), never trimmed. Browsers send a backslash as itself and a
    quote as %22 (the HTML standard), so nothing is unescaped."""
    found = _FILENAME.search(disposition)
    if found is None:
        return None
    return (found.group(1) if found.group(1) is not None else found.group(2)).encode(
        "latin-1")


def _text(value: bytes, name: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidField(f"{name} must be UTF-8 text", field=name,
                           rule="not_utf8") from None


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidField("send the file as multipart/form-data, in a field named file",
                           field="Content-Type", rule="multipart_required")
    return boundary


def _declared_too_large(request: Request, limit: int) -> bool:
    """A Content-Length already past the limit: the body is refused when its file part
    begins, so the text fields a browser sends before it are read (and handed back with
    the refusal) but no byte of the file is."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit + FORM_ALLOWANCE


def fields_read(error: BaseException) -> dict[str, str]:
    """The form's text fields read before the upload was refused (those sent before
    the file, as a browser sends a form whose file input comes last), so a page can
    put the person's answers back; empty when none were."""
    return dict(getattr(error, _FIELDS_READ, None) or {})


async def receive_upload(request: Request, case_id: UUID, *, limit: int, store: BlobStore,
                         fields: Collection[str]) -> Upload:
    """Read the form streaming, check its one file by content, and keep the file in the
    store for the case, sealed under its key (before the command that records it: a
    kept file the case does not record is swept away later, a recorded one without
    bytes never happens). The caller then holds the case's file
    (services/cases/document_sweep.py) and must `release` it once the command has
    answered.

    Refusals name the field and rule: FileTooLarge (413), TypeNotAccepted (415), an
    InvalidField (422) for a missing, empty or second file, a body that ends early, a
    path or control character in the filename, an unknown or over-long field. Each
    carries the text fields read before it (`fields_read`).
    """
    boundary = _boundary(request)
    temporary = store.incoming / f"{_TEMPORARY}{secrets.token_hex(8)}"
    receiving = _Receiving(temporary, limit=limit, fields=fields,
                           declared_too_large=_declared_too_large(request, limit))
    try:
        await _parse(request, boundary, receiving)
        media_type = (await in_thread(identify, temporary)).media_type
        sha256 = receiving.digest.hexdigest()
        hold(case_id, sha256)  # released by the route once the command answered
        try:
            blob = await in_thread(store.put_file, case_id, temporary, sha256=sha256)
        except KeyDestroyed:
            release(case_id, sha256)
            raise NotFound(f"case {case_id} is no longer kept (disposed of): nothing can "
                           "be attached to it", field="case_id") from None
        except BaseException:
            release(case_id, sha256)
            raise
    except DomainError as refused:
        setattr(refused, _FIELDS_READ, dict(receiving.fields))
        raise
    finally:
        temporary.unlink(missing_ok=True)
        receiving.close()
    assert receiving.filename is not None
    return Upload(receiving.fields, StoredFile(blob.sha256, blob.size, media_type,
                                               receiving.filename))


async def _parse(request: Request, boundary: bytes, receiving: _Receiving) -> None:
    read = 0
    try:
        parser = MultipartParser(boundary, receiving.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
            read += len(chunk)
            if receiving.declared_too_large and read > FORM_ALLOWANCE:
                raise FileTooLarge(receiving.limit)  # (no file part in sight)
            if receiving.ended:
                break
        parser.finalize()
    except FormParserError as error:
        raise InvalidField(f"the form is not well-formed multipart/form-data ({error})",
                           field="body", rule="multipart_invalid") from None
    except ClientDisconnect:
        receiving.ended = False  # (no one hears the answer; nothing is kept)
    if not receiving.ended:
        raise InvalidField("the body ended before the form did (the upload was cut "
                           "short)", field="body", rule="body_incomplete")
    if receiving.filename is None:
        raise InvalidField("attach a file in the field named file", field=FILE,
                           rule="required")
    if receiving.size == 0:
        raise InvalidField("the file is empty: an empty file is no evidence", field=FILE,
                           rule="file_empty")
