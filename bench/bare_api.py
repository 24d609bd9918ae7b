"""The framework's own ceiling: FastAPI endpoints of the same shape that store nothing.

Opening a case takes the same JSON body through a pydantic model, reads a bearer
header through a dependency and hops to the thread pool once, as casework's POST
/cases does, then answers with the body. A command on a case (POST
/cases/{id}/intelligence) does the same with its own body, the case id in the
path and the If-Match header. Served by uvicorn exactly as the API is, their
rates and latencies show what any FastAPI service could reach on this machine.
"""

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import Depends, FastAPI, Header
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

app = FastAPI()


class Concern(BaseModel):
    authority: str
    region: str
    summary: str
    source: str
    issue_type: str


class Confidentiality(StrEnum):
    NORMAL = "normal"
    CHATHAM_HOUSE = "Chatham House"


class Intelligence(BaseModel):
    content: str
    source: str
    confidentiality: Confidentiality = Confidentiality.NORMAL


def bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
    return authorization


@app.post("/cases", status_code=201)
async def open_case(body: Concern, who: Annotated[str | None, Depends(bearer)]) -> dict:
    return await run_in_threadpool(lambda: {"id": "-", "opened_by": who, **body.model_dump()})


@app.post("/cases/{case_id}/intelligence")
async def add_intelligence(case_id: UUID, body: Intelligence,
                           who: Annotated[str | None, Depends(bearer)],
                           if_match: Annotated[str | None, Header()] = None) -> dict:
    return await run_in_threadpool(lambda: {"id": str(case_id), "by": who, "version": if_match,
                                            **body.model_dump()})
