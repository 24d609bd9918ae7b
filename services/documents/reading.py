"""Serving a document's bytes: only bytes that still hash to what the history recorded.

Every door that hands out a document (the API's download, the pages' link) reads it
through `verified_bytes`: the stored bytes are hashed again before the first byte is
sent, so a file changed at rest is refused as tampering rather than served, and a
person is never given a file the history does not vouch for.
"""

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from domain.documents import ACCEPTED
from domain.errors import DomainError
from services.documents.blobs import BlobStore, matches

log = logging.getLogger("casework.documents")


class DocumentTampered(DomainError):
    """The stored bytes no longer match the SHA-256 the case recorded (or are missing)."""

    rule = "document_tampered"


def verified_bytes(store: BlobStore, document: dict[str, Any], *, case_id: str) -> Iterator[bytes]:
    """The document's bytes in chunks, after checking them against the recorded hash
    (DocumentTampered, logged at error with the case and document, when they differ)."""
    sha256 = str(document["sha256"])
    if not matches(store, sha256):
        log.error("document %s of case %s does not match its recorded hash",
                  document.get("document_id"), case_id)
        raise DocumentTampered("the stored file does not match the one the case's history "
                               "recorded, so it is not served", field="document_id")
    return store.open(sha256)


def download_headers(document: dict[str, Any]) -> dict[str, str]:
    """Headers that make any browser save the file, never render it: an attachment with
    its display name, the recorded type (never HTML), a sandbox (every answer also
    carries `nosniff` and `default-src 'none'`: api/middleware.py)."""
    media_type = str(document.get("media_type"))
    name = str(document.get("filename") or "document")
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in name)
    return {
        "Content-Type": media_type if media_type in ACCEPTED else "application/octet-stream",
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}",
        "Content-Security-Policy": "sandbox",
        "Content-Length": str(document.get("size")),
        "Cache-Control": "private, no-store",
    }
