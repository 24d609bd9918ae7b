"""Support that matches a case's diagnosis, with commission and deploy actions.

The ranking is the registers' own (`RegisterService.match`); commissioning and
deploying are the case's own commands (services/cases/support.py), the one path
through the registers, after the same role rules the API's case routes apply,
handed to the same command handler (services/cases/handler.py) on the version
the page showed. A peer deployed from here is given the casework account the
register links to them, so they see the case; the page says whether there is one.
"""

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden, check_access, relations_of
from api.routes import registers as register_routes
from api.threads import in_thread
from api.web.forms import FieldError
from api.web.people import directory
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from domain.errors import DomainError
from domain.identity import Principal, may
from domain.register_access import may_use_registers
from services.cases.handler import Actor

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _require(who: Principal, action: str) -> None:
    if not may_use_registers(who, action):
        raise Forbidden(action, who.role.value)


def _days(value: Any) -> int:
    text = str(value or "1")
    return int(text) if text.isdigit() and 0 < int(text) <= 365 else 1


@router.get("/case/{case_id}/support-matches")
async def matches(request: Request, case_id: UUID, who: Who, days: str = "1",
                  done: str = "") -> Response:
    return await _matches_page(request, who, _days(days), done=done)


async def _matches_page(request: Request, who: Principal, days: int, *, done: str = "",
                        errors: list[FieldError] | None = None, status: int = 200) -> Response:
    access = await check_access(request, who, "read case")
    _require(who, "match support")
    case = access.case or {}
    natures = list((case.get("diagnosis") or {}).get("problem_natures") or [])
    registers = register_routes._registers(request)  # built at start: no I/O
    found = None
    if natures:
        found = await in_thread(lambda: registers.match(
            authority=case["authority"], problem_natures=natures, days=days))
    return render(request, "support_matches.html", status=status, **page_context(
        request, who, case=case, natures=natures, days=days, found=found, done=done,
        errors=errors or [], people=await directory(request),
        may_commission=may(who, "commission support", relations_of(case)),
        may_deploy=may(who, "deploy peer", relations_of(case))))


@router.post("/case/{case_id}/support-matches/{kind}")
async def take_up(request: Request, case_id: UUID, kind: str, who: Who) -> Response:
    form = await posted_form(request)
    days = _days(form.get("days"))
    action = _ACTIONS.get(kind)
    if action is None:
        raise Forbidden(kind, who.role.value)
    access = await check_access(request, who, action)
    case = access.case or {}
    natures = list((case.get("diagnosis") or {}).get("problem_natures") or [])
    version = str(form.get("expected_version") or "")
    if not version.isdigit():  # the page always sends it; a command names its version
        return await _matches_page(request, who, days, status=422, errors=[FieldError(
            "days", "missing", "The page did not say which version of the case it showed: "
                               "open the matches again and choose once more")])
    try:
        chosen = UUID(str(form.get("offer_id" if kind == "commission" else "peer_id")))
        method, arguments = (
            ("commission_support", dict(
                offer_id=chosen, days=days, problem_natures=natures,
                reason="Chosen from the support that matches the diagnosis"))
            if kind == "commission" else
            ("deploy_peer", dict(peer_id=chosen, days=days, role="peer",
                                 reason="Chosen from the peers that match the diagnosis")))
        await request.app.state.commands.handle(
            case_id, method, arguments, Actor(who.id, who.role.value),
            expected_version=int(version))
    except DomainError as refused:
        return await _matches_page(request, who, days, status=422, errors=[
            FieldError(refused.field or "days", refused.rule, refused.message)])
    except ValueError:
        return await _matches_page(request, who, days, status=422, errors=[
            FieldError("offer_id", "invalid", "Choose one of the matches listed")])
    done = "commissioned" if kind == "commission" else "deployed"
    return RedirectResponse(f"/case/{case_id}/support-matches?days={days}&done={done}",
                            status_code=303)


_ACTIONS = {"commission": "commission support", "deploy": "deploy peer"}
