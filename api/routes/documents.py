"""Documents over HTTP: attach one to a case, list those a reader may see, download one.

Attaching streams the file in (api/uploads.py: hashed, size-limited, its type
decided by its bytes) and keeps it in the blob store first, then records it
through the one command path (`attach_document`, services/cases/handler.py) that
the pages use too. A document is downloaded only by someone who may read it: its
step, and for Chatham House the confidential group; anyone else gets 404, as for a
document that does not exist, so a guessed address reveals nothing. Before the
first byte is sent the stored bytes are hashed against the hash the case records:
bytes changed at rest, or a sealed copy that no longer opens under the case's key, are
refused (409, `document_tampered`), never served.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.deps import Access, CommandsDep, Forbidden, authorize
from api.routes.cases import IdempotencyKey
from api.routes.commands import IfMatch
from api.threads import in_thread
from api.uploads import Upload, receive_upload
from api.views import case_for, document_for
from api.writes import expected_version, handled_response, refusal_for
from domain.documents import (
    ACCEPTED,
    DocumentGone,
    DocumentKind,
    DocumentStep,
    DocumentTampered,
)
from domain.identity import Principal, may_attach_document_to
from domain.vocabulary import Confidentiality
from services.cases.document_sweep import forget_if_unrecorded, release
from services.cases.handler import Actor, Handled
from services.cases.idempotency import Keyed, fingerprint
from services.documents.blobs import BlobStore, matches
from services.eventstore.store import NotFound
from services.platform import metrics

log = logging.getLogger("casework.documents")
router = APIRouter(prefix="/cases", tags=["documents"])
FORM_FIELDS = ("title", "kind", "step", "step_ref", "confidentiality", "expected_version")
"""The form's text fields beside `file`."""


def _store(request: Request) -> BlobStore:
    return request.app.state.documents


def _text(description: str, choices: type[StrEnum] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": description}
    if choices is not None:
        schema["enum"] = [c.value for c in choices]
    return schema


UPLOAD_FORM = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "title", "kind", "step", "confidentiality"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "The file: its type is decided by its bytes."},
        "title": _text("One line, at most 200 characters."),
        "kind": _text("What the document is.", DocumentKind),
        "step": _text("The step it belongs to.", DocumentStep),
        "step_ref": _text("Which one of a step a case may have several of: action-1, "
                          "deployment-1, joint-meeting-1, government-meeting-1, review-1; "
                          "empty for the others."),
        "confidentiality": _text("Chatham House withholds it as a source is withheld.",
                                 Confidentiality)}}}}}
"""The form, as the OpenAPI document describes it (the route reads it streaming)."""
DOWNLOAD: dict[int | str, dict[str, Any]] = {200: {
    "description": "The file, as an attachment, in its recorded type.",
    "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in ACCEPTED}}}


@router.post("/{case_id}/documents", status_code=201, summary="Attach a document",
             description="multipart/form-data: `file` and the fields title, kind, step, "
                         "step_ref, confidentiality. The file's type is decided by its "
                         "bytes; see docs/documents.md for limits and refusals.",
             openapi_extra={"requestBody": UPLOAD_FORM})
async def attach_document(request: Request, case_id: UUID, commands: CommandsDep,
                          access: Annotated[Access, Depends(authorize("attach document"))],
                          if_match: IfMatch = None,
                          idempotency_key: IdempotencyKey = None) -> Response:
    store = _store(request)
    upload = await receive_upload(request, case_id,
                                  limit=request.app.state.document_size_limit, store=store,
                                  fields=FORM_FIELDS)
    sha256 = upload.stored.sha256
    try:
        try:
            handled = await _record(request, case_id, commands, access, upload, if_match,
                                    idempotency_key)
        except BaseException:
            await in_thread(forget_if_unrecorded, store, commands.cases, case_id, sha256)
            raise
        if handled.case is None:  # a retry of a refused request: refused alike
            await in_thread(forget_if_unrecorded, store, commands.cases, case_id, sha256)
    finally:
        release(case_id, sha256)
    return handled_response(handled, lambda case: _attached(access, case, upload))


async def _record(request: Request, case_id: UUID, commands: CommandsDep, access: Access,
                  upload: Upload, if_match: str | None, key: str | None) -> Handled:
    fields = upload.fields
    step, step_ref = fields.get("step", ""), fields.get("step_ref", "").strip()
    _check_peer(access, step, step_ref)
    body_version = fields.get("expected_version", "")
    version = expected_version(if_match, int(body_version) if body_version.isdigit() else None)
    arguments: dict[str, Any] = {name: fields.get(name, "") for name in FORM_FIELDS[:-1]}
    arguments["stored"] = upload.stored.as_fields()
    return await commands.handle(
        case_id, "attach_document", arguments, Actor(access.id, access.role),
        expected_version=version, key=_keyed(request, access, key, upload),
        refusal=refusal_for(request))


def _check_peer(access: Access, step: str, step_ref: str) -> None:
    """A peer attaches only to their own deployment's visit."""
    deployment = (access.seen_case.get("deployments") or {}).get(step_ref) \
        if step == DocumentStep.PEER_VISIT else None
    if not may_attach_document_to(access.principal, step, deployment):
        raise Forbidden("attach document (not yours)", access.role)


def _keyed(request: Request, access: Access, key: str | None, upload: Upload) -> Keyed | None:
    """The Idempotency-Key with what was asked: the file by its hash and the fields, so
    the key used again with another file or title is refused (the body itself is
    never held whole)."""
    if key is None:
        return None
    asked = json.dumps({"if_match": request.headers.get("if-match", ""),
                        "fields": upload.fields, "stored": upload.stored.as_fields()},
                       sort_keys=True).encode()
    return Keyed(owner=access.id, key=key,
                 request=fingerprint(request.method, request.url.path, asked))


def _attached(access: Access, case: dict[str, Any], upload: Upload) -> Response:
    """201: the document as this person sees it, the case's new ETag, where it lives."""
    documents = case.get("documents") or [{}]
    document = next((d for d in reversed(documents) if d.get("sha256") ==
                     upload.stored.sha256), documents[-1])
    shown = document_for(access.principal, case, document["document_id"]) or document
    return JSONResponse(
        _public(shown), status_code=201,
        headers={"ETag": f'"{case["version"]}"',
                 "Location": f"/cases/{case['id']}/documents/{document['document_id']}"})


def _public(document: dict[str, Any]) -> dict[str, Any]:
    """Times as ISO 8601, a redaction's (`redacted`) too."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else _public(v) if isinstance(v, dict)
                else v) for k, v in document.items()}


@router.get("/{case_id}/documents", summary="The documents this reader may see")
async def list_documents(case_id: UUID,
                         access: Annotated[Access, Depends(authorize("read case"))]
                         ) -> JSONResponse:
    shown = case_for(access.principal, access.seen_case).get("documents") or []
    return JSONResponse({"documents": [_public(d) for d in shown]})


@router.get("/{case_id}/documents/{document_id}", summary="Download a document",
            response_class=StreamingResponse, responses=DOWNLOAD)
async def download_document(request: Request, case_id: UUID, document_id: str,
                            access: Annotated[Access, Depends(authorize("read case"))]
                            ) -> Response:
    return await document_download(request, access.principal, access.seen_case, case_id,
                                   document_id)


async def document_download(request: Request, who: Principal, case: dict[str, Any],
                            case_id: UUID, document_id: str) -> StreamingResponse:
    """A document's bytes as an attachment, for this reader of `case`: the API's route
    and the pages' link both answer through here (NotFound for a document they may
    not have, DocumentTampered for bytes that no longer match the history)."""
    document = document_for(who, case, document_id, downloadable=True)
    if document is None:
        raise NotFound(f"no document {document_id} on this case", field="document_id")
    store, sha256 = _store(request), document["sha256"]
    gone = await in_thread(redacted_note, request, case_id, document)
    if gone is not None:
        raise DocumentGone(document_id, gone)
    if not await in_thread(matches, store, case_id, sha256):
        _tampered(case_id, document)
    return StreamingResponse(_checked(store, sha256, case_id, document_id),
                             media_type=_content_type(document["media_type"]),
                             headers=_download_headers(document))


def redacted_note(request: Request, case_id: UUID, document: dict[str, Any]) -> str | None:
    """Why a document has no bytes to give, if it was redacted: as the case records it,
    or, in a store restored from a backup taken before, as the key store does."""
    recorded = (document.get("redacted") or {}).get("note")
    if recorded:
        return str(recorded)
    redactor = request.app.state.commands.redactor
    return redactor.document_note(case_id, document["sha256"]) if redactor else None


def _tampered(case_id: UUID, document: dict[str, Any]) -> None:
    log.error("document %s of case %s: the stored file does not match the hash the case "
              "records; refused", document["document_id"], case_id)
    metrics.DOCUMENTS_TAMPERED.inc()
    raise DocumentTampered(document["document_id"], document.get("title", ""),
                           "its bytes do not match the case's history")


def _checked(store: BlobStore, sha256: str, case_id: UUID,
             document_id: str) -> Iterator[bytes]:
    """The bytes in chunks, hashed again as they go: bytes swapped after the check make
    the download fail (cut short) rather than arrive whole."""
    digest = hashlib.sha256()
    for chunk in store.open(case_id, sha256):
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != sha256:
        log.error("document %s of case %s changed while it was sent", document_id, case_id)
        metrics.DOCUMENTS_TAMPERED.inc()
        raise RuntimeError("the stored file changed while it was sent")


def _content_type(media_type: str) -> str:
    """The recorded type (one of ACCEPTED: never HTML); text says its encoding."""
    if media_type not in ACCEPTED:
        return "application/octet-stream"
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def _download_headers(document: dict[str, Any]) -> dict[str, str]:
    name = document["filename"]
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                    for c in name)
    return {"Content-Disposition": f"attachment; filename=\"{plain}\"; "
                                   f"filename*=UTF-8''{quote(name, safe='')}",
            "Content-Length": str(document["size"]), "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox", "Cache-Control": "private, no-store"}

