"""Every case command as a POST on the case: `POST /cases/{id}/<command>`.

One route shape serves them all: check the role (`authorize`), require the
version the command was decided on (If-Match), run the service method once per
Idempotency-Key, wake the case's workflow, answer with the case as saved and its ETag.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from api.commands import COMMANDS, CommandSpec
from api.deps import Access, CasesDep, Forbidden, GatewayDep, authorize
from api.routes.cases import IdempotencyKey
from api.schemas import CasePublic
from api.views import case_for
from api.workflow import tell_workflow
from api.writes import case_response, expected_version, idempotent
from services.cases.service import CaseService

router = APIRouter(prefix="/cases", tags=["case commands"])

IfMatch = Annotated[str | None, Header(
    max_length=50, description="The case's ETag as last read; a stale one answers 409.")]


def _add(spec: CommandSpec) -> None:
    async def command(request: Request, case_id: UUID, body: spec.schema,  # type: ignore[name-defined]
                      cases: CasesDep, gateway: GatewayDep,
                      access: Annotated[Access, Depends(authorize(spec.action))],
                      if_match: IfMatch = None,
                      idempotency_key: IdempotencyKey = None) -> Response:
        if spec.allows and not spec.allows(access.principal, body, access.case or {}):
            raise Forbidden(spec.action + " (not yours)", access.role)

        version = expected_version(if_match, getattr(body, "expected_version", None))
        method = getattr(cases, spec.method)
        arguments = spec.arguments(body)

        def record_and_view() -> dict:
            method(case_id, **arguments, actor_id=access.id, actor_role=access.role,
                   expected_version=version)
            return cases.case_after_write(case_id)

        async def answer(case: dict) -> Response:
            await tell_workflow(gateway, case_id, start=False)
            return case_response(case_for(access.principal, case))

        return await idempotent(request, access, idempotency_key, record_and_view, answer)

    command.__name__ = spec.method
    router.add_api_route(f"/{{case_id}}/{spec.path}", command, methods=["POST"],
                         response_model=CasePublic, summary=spec.summary,
                         description=spec.description)


for _spec in COMMANDS:
    if hasattr(CaseService, _spec.method):
        _add(_spec)
