"""Files of each kind a document may be, and the bad ones, built in the test (no fixtures on disk)."""

import io
import struct
import zipfile
import zlib

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*extra: bytes) -> bytes:
    """A one-pixel PNG; `extra` chunks go between its header and its image data."""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + b"".join(extra) + png_chunk(b"IDAT", zlib.compress(b"\0\0"))
            + png_chunk(b"IEND", b""))


def png_that_is_html() -> bytes:
    """A valid PNG whose text chunk is a web page with a script: a polyglot."""
    return png(png_chunk(b"tEXt", b"Comment\0<html><script>alert(document.cookie)</script>"))


def docx(*, zeros: int = 0) -> bytes:
    """A Word document; with `zeros`, a part of that many zero bytes (a ZIP bomb)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" '
                         f'ContentType="{WORD_MAIN}"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
        if zeros:
            archive.writestr("word/media/image1.bin", b"\0" * zeros)
    return buffer.getvalue()


def odf(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a document")
    return buffer.getvalue()


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xda\x00\x02ab\xff\xd9"
