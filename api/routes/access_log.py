"""Who has seen what: a case's access log, a person's own reads, and the auditors' export.

A case's log is read by inspectors and administrators on any case and by
coordinators on their own region's (the action "read access log" in
domain/identity.py); the whole log, searches included, is exported for auditors
by inspectors and administrators; everyone may read their own reads.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import Access, authorize
from api.threads import in_thread
from services.audit.access_export import export_lines
from services.audit.access_log import AccessRecord

router = APIRouter(tags=["access log"])

Before = Annotated[int | None, Query(ge=1, le=2**62, description=(
    "The `next` of the page before: records older than this one."))]
Limit = Annotated[int, Query(ge=1, le=200)]


def page_of(records: list[AccessRecord], limit: int) -> dict[str, Any]:
    """A page of records, newest first, and where the next page starts (None: the last)."""
    return {"records": [r.as_dict() for r in records],
            "next": records[-1].seq if len(records) == limit else None}


@router.get("/cases/{case_id}/access-log", summary="Who has read the case: each read, "
            "newest first (inspectors, administrators, the region's coordinators)")
async def case_access_log(request: Request, case_id: UUID,
                          access: Annotated[Access, Depends(authorize("read access log"))],
                          before: Before = None, limit: Limit = 50) -> dict[str, Any]:
    book = request.app.state.access_log
    return page_of(await in_thread(book.of_case, str(case_id), before=before, limit=limit),
                   limit)


@router.get("/me/access-log", summary="What you have read and searched, newest first")
async def my_access_log(
        request: Request,
        access: Annotated[Access, Depends(authorize("read own access log", on_case=False))],
        before: Before = None, limit: Limit = 50) -> dict[str, Any]:
    book = request.app.state.access_log
    return page_of(await in_thread(book.of_person, access.id, before=before, limit=limit),
                   limit)


@router.get("/access-log/export", summary="The whole access log as JSON Lines, with its "
            "hashes and the checkpoint that signed it (`casework verify-access-log`)",
            responses={200: {"content": {"application/x-ndjson": {}}}})
async def export_access_log(
        request: Request,
        _: Annotated[Access, Depends(authorize("export access log", on_case=False))],
) -> StreamingResponse:
    lines = export_lines(request.app.state.access_log, request.app.state.checkpoints)
    return StreamingResponse(lines, media_type="application/x-ndjson", headers={
        "Content-Disposition": 'attachment; filename="access-log.jsonl"'})


@router.get("/access-log/verification", summary="Check the access log's chain, and its head "
            "against the latest signed checkpoint")
async def verify_access_log(
        request: Request,
        _: Annotated[Access, Depends(authorize("export access log", on_case=False))],
) -> dict[str, Any]:
    book, ledger = request.app.state.access_log, request.app.state.checkpoints
    signed, untrusted = await in_thread(ledger.signed_access_head)
    problem = untrusted or await in_thread(book.verify, signed)
    head = await in_thread(book.head)
    return {"ok": problem is None, "problem": problem,
            "head": {"seq": head.seq, "hash": head.hash},
            "signed": {"seq": signed.seq, "hash": signed.hash} if signed else None}
