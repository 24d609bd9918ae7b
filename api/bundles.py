"""The evidence bundle as a download: built in a temporary file, then streamed.

The zip is written whole before its first byte is sent, so a document whose stored
bytes no longer match their recorded hash refuses the bundle with a problem naming
it (`document_tampered`) instead of a download cut off half-way. The temporary file
has no name on disk (it is removed as it is made) and is read back in chunks, so no
bundle is ever held whole in memory.
"""

import logging
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from api.deps import Access
from api.threads import in_thread
from domain.documents import DocumentTampered
from services.audit.bundle import NotKept, Reader, write_bundle
from services.documents.blobs import BlobMissing, BlobStore
from services.platform import metrics

CHUNK = 1024 * 1024
log = logging.getLogger("casework.documents")


async def evidence_bundle(request: Request, case_id: UUID, access: Access,
                          lines: list[str]) -> Response:
    """`lines` (this reader's JSON Lines export) with the documents they may see, zipped."""
    file = await in_thread(_built, request.app.state.documents, case_id, lines,
                           _about(case_id, access))
    size = file.seek(0, 2)
    file.seek(0)
    return StreamingResponse(_chunks(file), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{bundle_name(access, case_id)}"',
        "Content-Length": str(size), "X-Content-Type-Options": "nosniff"})


def bundle_name(access: Access, case_id: UUID) -> str:
    """The case's reference, or else its council's name, as a file name any system
    keeps ("NW-2026-0042-evidence.zip"): the name a person finds in their downloads
    folder says whose case it is, never an id."""
    seen = access.seen_case
    name = str(seen.get("reference") or seen.get("authority") or "")
    safe = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or f"case-{case_id}"
    return f"{safe}-evidence.zip"


def _about(case_id: UUID, access: Access) -> dict[str, Any]:
    """What the manifest says of the bundle: whose case, when, for whom."""
    who = access.principal
    return {"case_id": str(case_id), "reference": access.seen_case.get("reference"),
            "authority": access.seen_case.get("authority"),
            "made_at": datetime.now(UTC).isoformat(),
            "made_for": {"id": who.id, "name": who.name, "role": who.role.value}}


def _reader(blobs: BlobStore, case_id: UUID) -> Reader:
    """The case's own copies, unsealed as they are read."""
    def read(sha256: str) -> Iterator[bytes]:
        try:
            yield from blobs.open(case_id, sha256)
        except BlobMissing:
            raise NotKept(sha256) from None
    return read


def _built(blobs: BlobStore, case_id: UUID, lines: list[str],
           about: dict[str, Any]) -> IO[bytes]:
    file = tempfile.TemporaryFile(prefix="casework-bundle-")
    try:
        write_bundle(file, lines, _reader(blobs, case_id), about)
    except DocumentTampered as tampered:
        file.close()
        log.error("document %s of case %s: the stored file does not match the hash the case "
                  "records; the bundle is refused", tampered.document_id, about["case_id"])
        metrics.DOCUMENTS_TAMPERED.inc()
        raise
    except BaseException:
        file.close()
        raise
    return file


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    """Read back in chunks (Starlette iterates this in a thread), closed when done or when
    the reader goes away."""
    with file:
        while chunk := file.read(CHUNK):
            yield chunk
