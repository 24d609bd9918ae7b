"""`POST /cases/reassignments`: hand several cases, or all of someone's, to a coordinator.

One decision, one reason, all the cases or none (services/cases/reassignment.py);
the same role rule as reassigning one case, applied to each; once per
Idempotency-Key.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from api import errors
from api.command_schemas import Reason
from api.deps import Access, CommandsDep, authorize
from api.fields import Version
from api.handover import ACTION, moves_of, permit_for
from api.routes.cases import IdempotencyKey
from api.text import Line, RequestBody
from api.writes import keyed, refusal_for
from domain.handover import MAX_HANDOVER
from services.cases.handler import Actor, HandedOn
from services.cases.reassignment import Handover, Move

router = APIRouter(prefix="/cases", tags=["case commands"])


class CaseReassignments(RequestBody):
    """Name the cases (`case_ids`, with the versions you saw), or `from_owner` for all
    of that person's open cases (a coordinator: in their own region)."""

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [
        {"from_owner": "cora", "to_owner": "carl", "reason": "Cora has left the RIEP"}]}}
    case_ids: list[UUID] | None = Field(None, min_length=1, max_length=MAX_HANDOVER)
    expected_versions: dict[UUID, Version] | None = Field(
        None, max_length=MAX_HANDOVER,
        description="Each case's version as you saw it (its ETag); a case changed since "
                    "refuses the whole batch.")
    from_owner: Line | None = Field(None, min_length=1, max_length=200)
    to_owner: Line = Field(min_length=1, max_length=200,
                           description="The username of an active coordinator of the region.")
    reason: str = Reason

    @model_validator(mode="after")
    def _one_way(self) -> "CaseReassignments":
        if (self.case_ids is None) == (self.from_owner is None):
            raise ValueError("name either case_ids or from_owner")
        return self


class Reassigned(BaseModel):
    id: UUID
    authority: str
    from_owner: str | None
    version: int


class ReassignmentsDone(BaseModel):
    to_owner: str
    moved: list[Reassigned]


@router.post("/reassignments", response_model=ReassignmentsDone,
             summary="Hand several cases, or all of someone's open cases, to a coordinator")
async def reassign_cases(request: Request, body: CaseReassignments, commands: CommandsDep,
                         access: Annotated[Access, Depends(authorize(ACTION, on_case=False))],
                         idempotency_key: IdempotencyKey = None) -> Response:
    if body.case_ids is not None:
        versions = body.expected_versions or {}
        moves = [Move(case_id, versions.get(case_id)) for case_id in body.case_ids]
    else:
        moves = await moves_of(request, access.principal, str(body.from_owner))
    handover = Handover(moves, body.to_owner, body.reason, from_owner=body.from_owner)
    handed = await commands.reassign_cases(
        handover, Actor(access.id, access.role), permit=permit_for(access.principal),
        key=await keyed(request, access, idempotency_key), refusal=refusal_for(request))
    return handed_on_response(handed, body.to_owner)


def handed_on_response(handed: HandedOn, to_owner: str) -> Response:
    """The cases moved; for a retry, the first request's answer again, marked so."""
    first = handed.first
    response: Response
    if first is not None and first.problem is not None:
        response = JSONResponse(first.problem, status_code=first.status,
                                headers=first.headers, media_type=errors.PROBLEM)
    else:
        moved: list[dict[str, Any]] = [m.as_dict() for m in handed.moved]
        response = JSONResponse({"to_owner": to_owner, "moved": moved})
    if first is not None:
        response.headers["Idempotent-Replayed"] = "true"
    return response
