"""Records: the retention schedule, the cases due for disposal, and the disposal records.

An administrator sees the closed cases the schedule lets be disposed of (each named by
its council, reference, closing date and the rule that kept it), and confirms one on a
page of its own with a reason: "Confirm a decision", with a warning that it cannot be
undone. Inspectors and administrators read the disposal records. The rules and the
disposal itself are the API's (services/records/disposal.py, domain/retention.py).
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden
from api.threads import in_thread
from api.web.messages import refusal
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from domain.errors import DomainError
from domain.identity import Principal, may
from domain.text import RULES as TEXT_RULES
from services.eventstore.store import NotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SAID_ON_THE_FORM = ("reason_needed", "reason_too_long", "retention_not_over", "case_still_open",
                    *TEXT_RULES)
"""The refusals the confirmation page shows beside its reason (api/web/messages.py)."""


def _allowed(who: Principal) -> None:
    if not (may(who, "read disposal records") or may(who, "list cases due for disposal")):
        raise Forbidden("read disposal records", who.role.value)


@router.get("/records")
async def records(request: Request, who: Who) -> Response:
    _allowed(who)
    disposals = request.app.state.disposals
    due = (await in_thread(disposals.due, datetime.now(UTC))
           if may(who, "list cases due for disposal") else None)
    kept = await in_thread(disposals.records) if may(who, "read disposal records") else []
    disposed = request.query_params.get("disposed")
    done = next((r for r in kept if r.get("case_id") == disposed), None)
    return render(request, "records.html", **page_context(
        request, who, schedule=disposals.schedule.in_words(), due=due, kept=kept, done=done,
        may_find=may(who, "find records naming a person")))


@router.get("/records/due/{case_id}")
async def confirm_disposal(request: Request, case_id: UUID, who: Who) -> Response:
    return await _confirm_page(request, who, case_id)


@router.post("/records/due/{case_id}")
async def dispose(request: Request, case_id: UUID, who: Who) -> Response:
    if not may(who, "dispose of case"):
        raise Forbidden("dispose of case", who.role.value)
    form = await posted_form(request)
    reason = str(form.get("reason") or "")
    try:
        await in_thread(request.app.state.disposals.dispose, case_id, who=who, reason=reason)
    except DomainError as refused:
        if refused.rule not in SAID_ON_THE_FORM:
            raise
        return await _confirm_page(request, who, case_id, reason=reason, status=422, error={
            "id": "reason", "text": refusal(refused.rule, refused.message)})
    return RedirectResponse(f"/records?disposed={case_id}", status_code=303)


async def _confirm_page(request: Request, who: Principal, case_id: UUID, *, reason: str = "",
                        status: int = 200, error: dict[str, str] | None = None) -> Response:
    if not may(who, "dispose of case"):
        raise Forbidden("dispose of case", who.role.value)
    due = await in_thread(request.app.state.disposals.due, datetime.now(UTC))
    case: dict[str, Any] | None = next((c for c in due if c["case_id"] == str(case_id)), None)
    if case is None:
        if request.app.state.cases.key_store.disposal(case_id) is not None:
            return RedirectResponse(f"/records?disposed={case_id}", status_code=303)
        raise NotFound("no case due for disposal", field="case_id")
    return render(request, "confirm_disposal.html", status=status, **page_context(
        request, who, case=case, reason=reason, errors=[error] if error else []))
