"""A document's type is decided by its bytes: each accepted type, and what is refused."""

import io
import warnings
import zipfile
from pathlib import Path

import pytest

from domain.errors import DomainError
from services.documents.content import identify
from tests.document_files import (
    JPEG,
    PDF,
    WORD_MAIN,
    docx,
    odf,
    plain_zip,
    png,
    png_that_is_html,
)


def kept_as(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "upload"
    path.write_bytes(data)
    return identify(path).media_type


def refused(tmp_path: Path, data: bytes) -> DomainError:
    with pytest.raises(DomainError) as error:
        kept_as(tmp_path, data)
    assert error.value.field == "file"
    return error.value


@pytest.mark.parametrize("data, media_type", [
    (PDF, "application/pdf"), (png(), "image/png"), (JPEG, "image/jpeg"),
    (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (odf(), "application/vnd.oasis.opendocument.text"),
    (odf("application/vnd.oasis.opendocument.spreadsheet"),
     "application/vnd.oasis.opendocument.spreadsheet"),
    (b"authority,score\nMidthorpe,3\n", "text/csv"),
    ("Notes from the visit: the council’s plan is late.\r\n".encode(), "text/plain")])
def test_each_accepted_type_is_known_by_its_bytes(tmp_path, data, media_type):
    assert kept_as(tmp_path, data) == media_type


@pytest.mark.parametrize("data, found", [
    (b"<!DOCTYPE html><p>hello", "an HTML page"), (plain_zip(), "a ZIP archive"),
    (b"MZ\x90\x00\x03", "an executable (a Windows program)"),
    (b"\x00\x01\x02binary", "unknown binary data"), (b"%PDF-1.7 cut", "a PDF cut short"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "an SVG image")])
def test_anything_else_is_refused_naming_what_it_is(tmp_path, data, found):
    error = refused(tmp_path, data)
    assert found in error.message


@pytest.mark.parametrize("data", [png_that_is_html(), png() + b"<html>",
                                  b"a,b\n<script>alert(1)</script>,2\n"])
def test_a_file_that_also_reads_as_a_web_page_is_refused(tmp_path, data):
    assert refused(tmp_path, data).rule in ("markup_in_file", "type_not_accepted")


def test_a_zip_bomb_in_a_word_document_is_refused_from_its_directory(tmp_path):
    assert refused(tmp_path, docx(zeros=30_000_000)).rule == "archive_refused"


def _word(*entries: tuple[str, str | bytes]) -> bytes:
    """A Word document's archive with these entries (the content types first)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a name given twice
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


TYPES = ("[Content_Types].xml", f'<Types><Override ContentType="{WORD_MAIN}"/></Types>')
LOL = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
       f'<Types>&b;<Override ContentType="{WORD_MAIN}"/></Types>')


def _corrupt(data: bytes) -> bytes:
    """The first entry's compressed bytes flipped: its directory still reads."""
    changed = bytearray(data)
    start = 30 + len("[Content_Types].xml")
    changed[start:start + 8] = bytes(b ^ 0xFF for b in changed[start:start + 8])
    return bytes(changed)


@pytest.mark.parametrize("data, words", [
    (_word(TYPES, ("word/document.xml", "<w/>"), ("../../evil.bat", "x")), "outside"),
    (_word(TYPES, ("/etc/evil", "x")), "outside"),
    (_word(("[Content_Types].xml", "<Types>macroEnabled</Types>"), TYPES), "twice"),
    (_word(("[Content_Types].xml", LOL), ("word/document.xml", "<w/>")), "XML bomb"),
    (_corrupt(_word(TYPES)), "damaged")])
def test_an_office_archive_forged_to_mislead_a_reader_is_refused_never_a_failure(
        tmp_path, data, words):
    refusal = refused(tmp_path, data)
    assert refusal.rule == "archive_refused" and words in str(refusal)
