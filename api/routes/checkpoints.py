"""Signed checkpoints: written on demand, listed and downloaded by inspectors.

GET /checkpoints/{id}?case={case id} adds the inclusion proof of that case's
head, which `casework verify ... --checkpoint` checks.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status

from api.deps import Forbidden, PrincipalDep
from api.fields import SerialNumber
from api.threads import in_thread
from domain.checkpoint_access import may_use_checkpoints
from domain.identity import Principal
from services.audit.checkpoints import CheckpointLedger

router = APIRouter(prefix="/checkpoints", tags=["checkpoints"])


def allowed(action: str):
    async def gate(principal: PrincipalDep) -> Principal:
        if not may_use_checkpoints(principal, action):
            raise Forbidden(action, principal.role.value)
        return principal

    gate.action = action  # type: ignore[attr-defined]  # read by the role table
    return gate


Reader = Annotated[Principal, Depends(allowed("read checkpoints"))]
Writer = Annotated[Principal, Depends(allowed("write checkpoint"))]


def _ledger(request: Request) -> CheckpointLedger:
    return request.app.state.checkpoints


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="Sign every stream's head now (409 when no signing key is configured)")
async def write_checkpoint(request: Request, _: Writer) -> dict[str, Any]:
    ledger = _ledger(request)
    checkpoint = await in_thread(ledger.write, request.app.state.cases)
    assert checkpoint is not None  # written whether or not anything changed
    return _shown(ledger, checkpoint.body())


@router.get("", summary="Every checkpoint, oldest first (signed fields and key id)")
async def list_checkpoints(request: Request, _: Reader) -> list[dict[str, Any]]:
    return [c.body() for c in await in_thread(_ledger(request).every)]


@router.get("/{checkpoint_id}", summary="One checkpoint to keep, with its public key and, "
            "given a case, that case's inclusion proof")
async def get_checkpoint(request: Request, checkpoint_id: SerialNumber, _: Reader,
                         case: UUID | None = None) -> dict[str, Any]:
    ledger = _ledger(request)
    checkpoint = await in_thread(ledger.get, checkpoint_id)
    shown = _shown(ledger, checkpoint.body())
    if case is not None:
        shown["inclusion_proof"] = await in_thread(ledger.proof, checkpoint_id, case)
    return shown


def _shown(ledger: CheckpointLedger, body: dict[str, Any]) -> dict[str, Any]:
    return {"checkpoint": body, "public_key": {
        "key_id": body["key_id"], "pem": ledger.public_key_pem(body["key_id"])}}
