"""The retention schedule's API: cases due for disposal, disposing of one, the records.

An administrator lists the closed cases the schedule lets be disposed of
(`GET /disposals/due`) and confirms one with a reason (`POST /cases/{id}/disposal`);
inspectors and administrators read the disposal records that stay
(`GET /disposals`, `GET /disposals/{case_id}`). The rules are domain/retention.py's;
a disposed case answers 410 Gone everywhere after (services/cases/service.py).
"""

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.deps import Access, authorize
from api.text import RequestBody
from api.threads import in_thread

router = APIRouter(tags=["records"])

Dispose = Annotated[Access, Depends(authorize("dispose of case"))]
ListDue = Annotated[Access, Depends(authorize("list cases due for disposal", on_case=False))]
ReadRecords = Annotated[Access, Depends(authorize("read disposal records", on_case=False))]


class Disposal(RequestBody):
    """Why the case is being disposed of: kept on its disposal record."""

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [
        {"reason": "Six years after closure under the retention schedule; nothing held "
                   "open by an inquiry or a complaint"}]}}
    reason: str = Field("", max_length=2000,
                        description="Why: kept on the disposal record (required).")


class DueCase(BaseModel):
    case_id: UUID
    reference: str | None
    authority: str
    region: str
    outcome: str | None
    closed_at: datetime
    rule: str
    allowed_from: datetime
    proposed_at: datetime | None = Field(
        description="When the retention sweep proposed its disposal to administrators.")


@router.get("/disposals/due", response_model=list[DueCase],
            summary="Closed cases the retention schedule now lets be disposed of")
async def due_for_disposal(request: Request, _: ListDue) -> list[dict[str, Any]]:
    return await in_thread(request.app.state.disposals.due, datetime.now(UTC))


@router.post("/cases/{case_id}/disposal",
             summary="Dispose of a closed case the schedule allows, with a reason: its data "
                     "key destroyed, its events, rows and documents removed; the disposal "
                     "record answered")
async def dispose_of_case(request: Request, case_id: UUID, body: Disposal,
                          access: Dispose) -> dict[str, Any]:
    record: dict[str, Any] = await in_thread(
        request.app.state.disposals.dispose, case_id, who=access.principal,
        reason=body.reason)
    return record


@router.get("/disposals", summary="Every disposal record, newest first")
async def disposal_records(request: Request, _: ReadRecords) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = await in_thread(request.app.state.disposals.records)
    return records


@router.get("/disposals/{case_id}",
            summary="One case's disposal record: `casework verify-disposal` checks it")
async def disposal_record(request: Request, case_id: UUID, _: ReadRecords) -> dict[str, Any]:
    record: dict[str, Any] = await in_thread(request.app.state.disposals.record, case_id)
    return record
