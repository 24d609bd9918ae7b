"""The framework's own ceiling: a FastAPI endpoint of the same shape that stores nothing.

It takes the same JSON body through a pydantic model, reads a bearer header
through a dependency and hops to the thread pool once, as casework's POST
/cases does, then answers with the body. Served by uvicorn exactly as the API
is, its rate shows how much of the raw insert floor any FastAPI service could
reach on this machine.
"""

from typing import Annotated

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


def bearer(authorization: Annotated[str | None, Header()] = None) -> str | None:
    return authorization


@app.post("/cases", status_code=201)
async def open_case(body: Concern, who: Annotated[str | None, Depends(bearer)]) -> dict:
    return await run_in_threadpool(lambda: {"id": "-", "opened_by": who, **body.model_dump()})
