"""Every case command as a POST on the case: `POST /cases/{id}/<command>`.

One route shape serves them all: check the role (`authorize`), read the version
the command was decided on (If-Match) and the Idempotency-Key, and hand the
command to the command handler (services/cases/handler.py), which the pages use
too; answer with the case as saved and its ETag.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from api.commands import COMMANDS, CommandSpec
from api.deps import Access, CommandsDep, Forbidden, authorize
from api.routes.cases import IdempotencyKey
from api.schemas import CasePublic
from api.views import case_for
from api.writes import case_response, expected_version, handled_response, keyed, refusal_for
from services.cases.handler import Actor
from services.cases.service import CaseService

router = APIRouter(prefix="/cases", tags=["case commands"])

IfMatch = Annotated[str | None, Header(
    max_length=50, description="The case's ETag as last read; a stale one answers 409.")]


def check_allowed(spec: CommandSpec, access: Access, body: Any) -> None:
    """A role rule that reads the body (a peer records visits on their own deployment
    only), for the route and the page alike."""
    if spec.allows and not spec.allows(access.principal, body, access.case or {}):
        raise Forbidden(spec.action + " (not yours)", access.role)


def _add(spec: CommandSpec) -> None:
    async def command(request: Request, case_id: UUID, body: spec.schema,  # type: ignore[name-defined]
                      commands: CommandsDep,
                      access: Annotated[Access, Depends(authorize(spec.action))],
                      if_match: IfMatch = None,
                      idempotency_key: IdempotencyKey = None) -> Response:
        check_allowed(spec, access, body)
        version = expected_version(if_match, getattr(body, "expected_version", None))
        handled = await commands.handle(
            case_id, spec.method, spec.arguments(body), Actor(access.id, access.role),
            expected_version=version, key=await keyed(request, access, idempotency_key),
            refusal=refusal_for(request))
        return handled_response(handled,
                                lambda case: case_response(case_for(access.principal, case)))

    command.__name__ = spec.method
    router.add_api_route(f"/{{case_id}}/{spec.path}", command, methods=["POST"],
                         response_model=CasePublic, summary=spec.summary,
                         description=spec.description)


for _spec in COMMANDS:
    if hasattr(CaseService, _spec.method):
        _add(_spec)
