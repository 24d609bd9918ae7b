"""What a file is, decided by its bytes: never by its name nor the Content-Type a client sent.

An upload is written to the blob store's incoming folder as it arrives
(api/uploads.py); these functions then read that file and say which of the types
casework keeps (domain/documents.py ACCEPTED) it is, or refuse it naming in plain
words what it was found to be. They read a file on disk and never decompress an
archive whole: an Office or ODF document is judged by its central directory first,
so a ZIP bomb is refused before any of it is inflated; so is one naming a file
twice (tools disagree on which copy is the document) or outside itself (`../x`,
`/x`: no Office program writes that, an unzip would write it elsewhere). No XML in
it is ever parsed: its one part read is searched as bytes, and refused if it
declares entities (an XML bomb for whoever parses it later).
"""

import codecs
import csv
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

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


MAX_ENTRIES = 5000
"""The most files an Office or ODF archive may declare (a long report holds a few hundred)."""
MAX_INFLATED = 250_000_000
"""The most bytes an archive's files may declare in all, once inflated."""
MAX_RATIO = 200
"""The most an entry over RATIO_FROM bytes may inflate by (XML compresses about 10 to 1;
a run of zeros over 1000 to 1)."""
RATIO_FROM = 1024 * 1024
_READ = 64 * 1024
_MARKUP = re.compile(rb"<\s*(script|html|svg|iframe|object|embed)\b|<!doctype\s+html"
                     rb"|javascript:", re.IGNORECASE)
"""What a browser would run or render as a page: refused in any image, text or CSV."""
_OOXML_MAIN = {
    b"wordprocessingml.document.main+xml":
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"spreadsheetml.sheet.main+xml":
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_ENTITIES = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
"""A DTD, which no Office document's [Content_Types].xml holds."""
_ODF = {b"application/vnd.oasis.opendocument.text",
        b"application/vnd.oasis.opendocument.spreadsheet"}
_SIGNATURES = (
    (b"MZ", "an executable (a Windows program)"),
    (b"\x7fELF", "an executable (a Linux program)"),
    (b"\xcf\xfa\xed\xfe", "an executable (a Mac program)"),
    (b"#!", "a script"),
    (b"GIF8", "a GIF image (send PNG or JPEG)"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office document (.doc or .xls: save it as .docx "
                            "or .xlsx)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"RIFF", "audio or video"),
    (b"{\\rtf", "a rich text document (.rtf)"),
)


class _Markup(TypeNotAccepted):
    """A file of an accepted type that also reads as a web page or script (a polyglot)."""

    rule = "markup_in_file"


def identify(path: Path) -> MediaType:
    """The accepted type the file's bytes are (TypeNotAccepted, ArchiveRefused when
    none); a file of an accepted type that also reads as HTML, SVG or script is
    refused too (rule markup_in_file)."""
    with open(path, "rb") as file:
        head = file.read(16)
        for signature, check in _CHECKS:
            if head.startswith(signature):
                return ACCEPTED[check(file)]
        return ACCEPTED[_text(file)]


def _pdf(file: BinaryIO) -> str:
    """%PDF- first and %%EOF in its last kilobyte: a PDF written whole."""
    file.seek(0, io.SEEK_END)
    file.seek(max(0, file.tell() - 1024))
    if b"%%EOF" not in file.read():
        raise TypeNotAccepted("a PDF cut short (it has no end marker)")
    return "application/pdf"


def _png(file: BinaryIO) -> str:
    """The signature, IHDR first, IEND last with nothing after it; no chunk but the
    image data may hold markup."""
    file.seek(8)
    first = True
    while True:
        header = file.read(8)
        if len(header) < 8:
            raise TypeNotAccepted("a damaged PNG image (it ends before its end chunk)")
        length, kind = struct.unpack(">I4s", header)
        if first and kind != b"IHDR":
            raise TypeNotAccepted("a damaged PNG image (its header chunk is not first)")
        first = False
        if kind == b"IDAT":
            file.seek(length + 4, io.SEEK_CUR)
        else:
            _no_markup(_limited(file, length), "a PNG image")
            file.seek(4, io.SEEK_CUR)
        if kind == b"IEND":
            if file.read(1):
                raise TypeNotAccepted("a PNG image with other data after its end")
            return "image/png"


def _jpeg(file: BinaryIO) -> str:
    """SOI first, EOI last; the segments before the image data hold no markup."""
    file.seek(0, io.SEEK_END)
    file.seek(file.tell() - 2)
    if file.read(2) != b"\xff\xd9":
        raise TypeNotAccepted("a JPEG image cut short (it has no end marker)")
    file.seek(2)
    while (marker := file.read(4))[:1] == b"\xff" and len(marker) == 4:
        if marker[1] in (0xDA, 0xD9):  # start of the image data, or its end
            return "image/jpeg"
        length = struct.unpack(">H", marker[2:])[0]
        _no_markup(_limited(file, max(0, length - 2)), "a JPEG image")
    raise TypeNotAccepted("a damaged JPEG image")


def _zip(file: BinaryIO) -> str:
    """A Word, Excel or ODF document: judged by its central directory before anything
    is inflated, then by the one small entry that names what it is."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ArchiveRefused("the file is a damaged ZIP archive", field="file") from None
    with archive:
        entries = archive.infolist()
        _not_a_bomb(entries)
        try:
            found = _odf(archive, entries) or _ooxml(archive)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError,
                zlib.error):
            raise ArchiveRefused("the file is a damaged ZIP archive", field="file") from None
    if found is None:
        raise TypeNotAccepted("a ZIP archive")
    return found


def _not_a_bomb(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise ArchiveRefused(f"the document's archive holds {len(entries):,} files; at "
                             f"most {MAX_ENTRIES:,} are accepted", field="file")
    names = [e.filename for e in entries]
    if len(set(names)) != len(names):
        raise ArchiveRefused("the document's archive names one file twice", field="file")
    if any(_outside(name) for name in names):
        raise ArchiveRefused("the document's archive names a file outside itself",
                             field="file")
    if sum(e.file_size for e in entries) > MAX_INFLATED:
        raise ArchiveRefused(f"the document would inflate to more than {MAX_INFLATED:,} "
                             "bytes (a ZIP bomb)", field="file")
    for entry in entries:
        if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(
                entry.compress_size, 1):
            raise ArchiveRefused(f"a part of the document inflates more than {MAX_RATIO} "
                                 "times (a ZIP bomb)", field="file")


def _outside(name: str) -> bool:
    return name.startswith("/") or "\\" in name or ".." in name.split("/")


def _small(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    """An entry's bytes, reading no more than `limit` of them whatever it declares."""
    with archive.open(name) as entry:
        data = entry.read(limit + 1)
    if len(data) > limit:
        raise ArchiveRefused(f"the document's {name} is too large", field="file")
    return data


def _odf(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> str | None:
    """ODF: its first entry, `mimetype`, names the document's type."""
    if not entries or entries[0].filename != "mimetype":
        return None
    mimetype = _small(archive, "mimetype", 200).strip()
    if mimetype not in _ODF:
        raise TypeNotAccepted("an ODF file other than a text document or spreadsheet")
    return mimetype.decode()


def _ooxml(archive: zipfile.ZipFile) -> str | None:
    """Office Open XML: [Content_Types].xml names the main part's type."""
    if "[Content_Types].xml" not in archive.namelist():
        return None
    types = _small(archive, "[Content_Types].xml")
    if _ENTITIES.search(types):
        raise ArchiveRefused("the document declares XML entities (an XML bomb)",
                             field="file")
    for main, media_type in _OOXML_MAIN.items():
        if main in types:
            return media_type
    if b"macroEnabled" in types:
        raise TypeNotAccepted("an Office document with macros")
    raise TypeNotAccepted("an Office document other than Word (.docx) or Excel (.xlsx)")


def _text(file: BinaryIO) -> str:
    """UTF-8 throughout, no NUL nor control character but tab, CR and LF, no markup:
    CSV when its first lines split into the same number (two or more) of columns."""
    file.seek(0)
    if file.read(2) == b"#!":
        raise TypeNotAccepted("a script")
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    sample, tail = "", ""
    for chunk in _chunks(file):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise TypeNotAccepted(_binary_kind(file)) from None
        if _CONTROL.search(text):
            raise TypeNotAccepted(_binary_kind(file))
        if _MARKUP.search((tail + text).encode()):
            raise _Markup(_markup_kind(file))
        tail, sample = text[-64:], sample or text
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise TypeNotAccepted("text cut short in the middle of a character") from None
    return "text/csv" if _looks_like_csv(sample) else "text/plain"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _looks_like_csv(sample: str) -> bool:
    lines = sample.lstrip("\ufeff").splitlines()[:20]
    if len(lines) > 1 and len(sample) == _READ:
        lines = lines[:-1]  # the last line of a sample may be cut short
    try:
        widths = {len(row) for row in csv.reader(line for line in lines if line)}
    except csv.Error:
        return False
    return len(widths) == 1 and widths.pop() >= 2


def _binary_kind(file: BinaryIO) -> str:
    file.seek(0)
    head = file.read(512)
    for signature, found in _SIGNATURES:
        if head.startswith(signature):
            return found
    return "unknown binary data"


def _markup_kind(file: BinaryIO) -> str:
    """What text with markup in it is, in plain words."""
    file.seek(0)
    head = file.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "an HTML page"
    if b"<svg" in head:
        return "an SVG image"
    return "text holding web page or script markup"


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(_READ):
        yield chunk


def _limited(file: BinaryIO, length: int) -> Iterator[bytes]:
    """The next `length` bytes of the file, in chunks."""
    while length > 0 and (chunk := file.read(min(length, _READ))):
        length -= len(chunk)
        yield chunk


def _no_markup(chunks: Iterator[bytes], kind: str) -> None:
    tail = b""
    for chunk in chunks:
        if _MARKUP.search(tail + chunk):
            raise _Markup(f"{kind} that also holds web page or script markup")
        tail = chunk[-64:]


_CHECKS: tuple[tuple[bytes, Callable[[BinaryIO], str]], ...] = (
    (b"%PDF-", _pdf), (b"\x89PNG\r\n\x1a\n", _png), (b"\xff\xd8\xff", _jpeg),
    (b"PK\x03\x04", _zip))
