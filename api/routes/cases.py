"""Case routes: open, list, read, history, as-of views, verification and exports.

Each route names its action in `authorize(...)`; the role rules decide the rest.
"""

import csv
import io
import json
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import PlainTextResponse

from api.bundles import evidence_bundle
from api.deps import (
    Access,
    CasesDep,
    CommandsDep,
    Forbidden,
    GatewayDep,
    authorize,
    relations_of,
)
from api.fields import Moment, VersionQuery
from api.schemas import CaseOpen, CasePage, CasePublic, EventPublic, StageAndDeadlines
from api.threads import in_thread
from api.views import case_for, event_for, redactor_for
from api.writes import case_response, handled_response, keyed, refusal_for
from domain.calendar import add_working_days
from domain.errors import InvalidField
from domain.identity import Role, may_know_case, may_open_case_in
from domain.registers import Region
from domain.vocabulary import CaseStatus, RiskBand, Stage
from services.audit.checkpoints import verify_against_checkpoint
from services.caselist import search
from services.caselist.worklist import CaseFilter, CaseOrder
from services.cases.handler import Actor

router = APIRouter(prefix="/cases", tags=["cases"])

ME = "me"  # `GET /cases?owner=me`: the cases the person asking owns
CHECKED_CASE_BY_CASE = (Role.ADVISER, Role.PEER, Role.GOVERNMENT_OFFICE)
"""Roles whose reach is recorded on each case, not in the case list."""

IdempotencyKey = Annotated[str | None, Header(
    max_length=200, description="Retrying with the same key returns the first answer.")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CasePublic,
             summary="Open a case: a concern raised about one authority")
async def open_case(request: Request, body: CaseOpen, commands: CommandsDep,
                    access: Annotated[Access, Depends(authorize("open case", on_case=False))],
                    idempotency_key: IdempotencyKey = None) -> Response:
    check_may_open(access, body)
    handled = await commands.open_case(
        opening_of(body), Actor(access.id, access.role),
        key=await keyed(request, access, idempotency_key), refusal=refusal_for(request))
    return handled_response(handled, lambda case: case_response(
        case_for(access.principal, case), status=201,
        headers={"Location": f"/cases/{case['id']}"}))


def check_may_open(access: Access, body: CaseOpen) -> None:
    """A coordinator opens cases in their own region (the route and the page alike)."""
    if not may_open_case_in(access.principal, body.region):
        raise Forbidden(f"open a case in {body.region!r} (your region is "
                        f"{access.principal.region!r})", access.role)


def opening_of(body: CaseOpen) -> dict[str, Any]:
    """The concern as the case service takes it: primitives."""
    return dict(authority=body.authority, region=body.region, summary=body.summary,
                source=body.source.value, issue_type=body.issue_type.value,
                diagnosis_due=body.diagnosis_due, owner=body.owner)


@router.get("", response_model=CasePage, summary="List the cases you may see, a page at a time")
async def list_cases(
    request: Request, cases: CasesDep,
    access: Annotated[Access, Depends(authorize("list cases", on_case=False))],
    stage: Stage | None = None, risk_band: RiskBand | None = None,
    region: Region | None = None, authority: str | None = Query(None, max_length=200),
    overdue: bool | None = None,
    red_flag: bool | None = Query(None, description=(
        "`true` for the cases with a red flag raised (a joint local meeting at which the "
        "regulator was not satisfied), `false` for the rest.")),
    case_status: Annotated[CaseStatus | None, Query(alias="status")] = None,
    owner: str | None = Query(None, max_length=200, description=(
        "`me` for the cases you own, or a coordinator's username.")),
    due_within: int | None = Query(None, ge=0, le=260, description=(
        "Only cases with a deadline due in the next N working days (Europe/London).")),
    sort: CaseOrder = Query(CaseOrder.RAISED, description=(
        "`raised` (oldest concern first), `due` (next deadline first) or `risk` (highest "
        "current risk first), over every case that matches, page after page.")),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=200),
    q: str | None = Query(None, max_length=search.MAX_QUERY, description=(
        "Words to search for: the council's name (any part of it), the case reference "
        "(matched exactly), and words of the summary, intelligence (never Chatham House), "
        "diagnosis and plan. Accents and case do not matter; the last word may be the "
        "start of a word. Results come best first, `page` by `page` (not by `cursor`; "
        "`sort` is ignored), each with a `snippet`: parts of text marked `matched`.")),
    page: int = Query(1, ge=1, le=search.MAX_PAGE, description="With `q`: which page."),
) -> dict[str, Any]:
    now = datetime.now(UTC)
    chosen = worklist_filter(
        access, stage=stage, risk_band=risk_band, region=region, authority=authority,
        overdue=overdue, case_status=case_status, owner=owner,
        due_by=None if due_within is None else add_working_days(now, due_within),
        red_flag=red_flag)
    if q is not None:
        return await read_search(request, cases, access, chosen, search.Query.of(q),
                                 page=page, limit=limit, now=now)
    return await read_worklist(request, cases, access, chosen, order=sort, cursor=cursor,
                               limit=limit, now=now)


def worklist_filter(access: Access, *, stage: Stage | None, risk_band: RiskBand | None,
                    region: Region | None, authority: str | None, overdue: bool | None,
                    case_status: CaseStatus | None, owner: str | None,
                    due_by: datetime | None, red_flag: bool | None = None) -> CaseFilter:
    """What this person asked for, narrowed to their region or council."""
    who = access.principal
    region_name = _value(region)
    if who.role is Role.COORDINATOR:
        region_name = _narrow(region_name, who.region, "region")
    if who.role is Role.AUTHORITY_LIAISON:
        authority = _narrow(authority, who.authority, "authority")
    return CaseFilter(stage=_value(stage), risk_band=_value(risk_band), region=region_name,
                      authority=authority, status=_value(case_status), overdue=overdue,
                      owner=who.id if owner == ME else owner, due_by=due_by,
                      red_flag=red_flag)


async def read_worklist(request: Request, cases: Any, access: Access, chosen: CaseFilter, *,
                        order: CaseOrder, cursor: str | None, limit: int, now: datetime,
                        soon: datetime | None = None,
                        awaiting: bool = False) -> dict[str, Any]:
    """A page of the worklist; with `soon`, also its counts over every matching case, and
    with `awaiting`, its cases with a proposal awaiting a decision (both for those who may
    know of every case the filter matches, not advisers and peers, who are shown only
    their own cases). One trip to the store's thread for all of it."""
    view = request.app.state.case_list
    whole = access.principal.role not in CHECKED_CASE_BY_CASE

    def page() -> dict[str, Any]:
        view.catch_up(cases)
        rows, next_cursor = _visible_page(view, cases, access, chosen, order, now, cursor,
                                          limit)
        counts = view.worklist_counts(chosen, soon=soon, now=now) if whole and soon else None
        waiting = view.awaiting_decision(chosen, now=now, limit=limit) if whole and awaiting \
            else []
        return {"cases": rows, "next_cursor": next_cursor, "counts": counts,
                "awaiting_decision": waiting}

    return await in_thread(page)


SEARCHED_CASE_BY_CASE = 1000
"""Matches read, best first, for those whose reach is checked case by case: beyond them
a search asks for more words rather than reading every case. Their count stops here too:
their reach (advisers, peers, people granted confidential material) is recorded on each
case, not in the case list, so no join can count it; each match's case is read."""


async def read_search(request: Request, cases: Any, access: Access, chosen: CaseFilter,
                      query: search.Query, *, page: int, limit: int,
                      now: datetime) -> dict[str, Any]:
    """A page of the cases a search finds among those this person may know of (the same
    filter and reach as their worklist), best first, each with its snippet marked."""
    view = request.app.state.case_list
    offset = (page - 1) * limit

    def found() -> tuple[list[dict[str, Any]], int]:
        view.catch_up(cases)
        if access.principal.role not in CHECKED_CASE_BY_CASE:
            rows, total = view.search(query, chosen, offset=offset, limit=limit, now=now)
            return rows, total or 0
        # The best matches in one ranked read (read 200 at a time, each read ranked all).
        rows, _ = view.search(query, chosen, limit=SEARCHED_CASE_BY_CASE, now=now,
                              count=False)
        known = [row for row in rows if _found_in_what_they_read(cases, access, row, query)]
        return known[offset:offset + limit], len(known)

    rows, total = await in_thread(found)
    return {"cases": [search.result(row, query) for row in rows], "next_cursor": None,
            "total": total, "page": page,
            "next_page": page + 1 if offset + limit < total and page < search.MAX_PAGE
            else None}


def _knowable(cases: Any, access: Access, row: dict[str, Any]) -> bool:
    """Whether this person may know of the case (read case by case for those whose
    reach is recorded on each case); never a case whose history does not apply."""
    return _known_case(cases, access, row) is not None


def _known_case(cases: Any, access: Access, row: dict[str, Any]) -> dict[str, Any] | None:
    """The case of a row, read once, if this person may know of it."""
    if "verification" in row:
        return None  # its history does not apply, so whom it relates to is unknown
    case = cases.readable_case(UUID(row["case_id"]))
    if "history_broken" in case:
        return None  # found broken only now (its row was flagged as it was read)
    return case if may_know_case(access.principal, relations_of(case)) else None


def _found_in_what_they_read(cases: Any, access: Access, row: dict[str, Any],
                             query: search.Query) -> bool:
    """Whether this person may know of the case and, for a peer, whether the words a peer
    reads of it (its council, reference and summary, as `case_for` shows them) find it;
    a peer's snippet is then cut from the summary alone, so no word of its intelligence,
    diagnosis or plan is shown or betrayed by a match."""
    case = _known_case(cases, access, row)
    if case is None or access.principal.role is not Role.PEER:
        return case is not None
    summary = str(case_for(access.principal, case).get("summary") or "")
    row["body"] = summary
    return search.finds(query, row["authority"], summary, row.get("reference") or "")


def _value(choice: StrEnum | None) -> str | None:
    return None if choice is None else choice.value


def _narrow(asked: str | None, own: str | None, field: str) -> str | None:
    """Someone scoped to one region or council asking for another simply sees nothing."""
    return own if asked in (None, own) else f"(not your {field})"


def _visible_page(view, cases, access: Access, chosen: CaseFilter, order: CaseOrder,
                  now: datetime, cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """A page of rows this person may know of; advisers, peers and the government office
    are checked case by case (their reach is recorded on each case, not in the list)."""
    filters = {**asdict(chosen), "order": order, "now": now}
    if access.principal.role not in CHECKED_CASE_BY_CASE:
        return view.list_cases(**filters, cursor=cursor, limit=limit)
    shown: list[dict] = []
    while True:
        rows, cursor = view.list_cases(**filters, cursor=cursor, limit=limit)
        shown += [row for row in rows if _knowable(cases, access, row)]
        if len(shown) >= limit or cursor is None:
            return shown, cursor


@router.get("/{case_id}", response_model=CasePublic,
            summary="The case's current state (ETag: its version)")
async def get_case(case_id: UUID,
                   access: Annotated[Access, Depends(authorize("read case"))]) -> Response:
    return case_response(case_for(access.principal, readable(access)))


def readable(access: Access) -> dict[str, Any]:
    """The case the gate let through; if one of its events cannot be read (poison), the
    problem saying from which version and why (409), not a case made of what is left."""
    case = access.seen_case
    if "history_unreadable" in case:
        raise case["history_unreadable"]
    return case


@router.get("/{case_id}/stage", response_model=StageAndDeadlines,
            summary="The case's stage, running deadlines and any pending escalation proposal")
async def stage_and_deadlines(
    case_id: UUID, gateway: GatewayDep,
    access: Annotated[Access, Depends(authorize("read stage and deadlines"))],
) -> dict[str, Any]:
    case = readable(access)
    ask = getattr(gateway, "case_status", None)
    if ask is not None:
        try:
            answer = await ask(str(case_id))
            if answer:
                return {**jsonable_encoder(answer), "source": "workflow"}
        except Exception:  # noqa: BLE001 - the case itself still answers
            pass
    return {"stage": case["stage"], "status": case["status"],
            "deadlines": case.get("deadlines", {}),
            "pending_proposal": case.get("pending_escalation"), "source": "case"}


@router.get("/{case_id}/history", response_model=list[EventPublic],
            summary="Every event of the case, oldest first")
async def case_history(case_id: UUID, cases: CasesDep,
                       access: Annotated[Access, Depends(authorize("read history"))]
                       ) -> list[dict]:
    events = await in_thread(cases.history, case_id)
    return [event_for(access.principal, e, access.seen_case) for e in events]


@router.get("/{case_id}/as-of", response_model=CasePublic,
            summary="What was known about the case at a version or a moment")
async def case_as_of(
    case_id: UUID, cases: CasesDep,
    access: Annotated[Access, Depends(authorize("read case as of"))],
    version: VersionQuery | None = None, at: Moment | None = None,
) -> Response:
    if (version is None) == (at is None):
        raise InvalidField("give exactly one of version or at (a timezone-aware time)",
                           field="version", rule="version_or_at")
    case = await in_thread(lambda: cases.case_as_of(case_id, version=version, at=at))
    return case_response(case_for(access.principal, case, access.seen_case))


@router.get("/{case_id}/verification", summary="Check the case's hash-chained history")
async def verify_history(request: Request, case_id: UUID, cases: CasesDep,
                         access: Annotated[Access, Depends(authorize("verify history"))]
                         ) -> dict[str, Any]:
    """The chain walked, then checked against the latest signed checkpoint, if any."""
    ledger = request.app.state.checkpoints
    result = await in_thread(verify_against_checkpoint, cases, ledger, case_id)
    return result.as_dict()


ExportFormat = Literal["jsonl", "csv", "bundle"]


@router.get("/{case_id}/export", summary="The case's history as JSON Lines (hashes, "
            "checkable offline), CSV (for spreadsheets), or the evidence bundle (a zip of "
            "the history, the documents this reader may see and a manifest)",
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {},
                                         "application/zip": {}}}})
async def export_history(request: Request, case_id: UUID, cases: CasesDep,
                         access: Annotated[Access, Depends(authorize("export history"))],
                         format: ExportFormat = "jsonl") -> Response:
    return await export_download(request, case_id, access, format)


async def export_download(request: Request, case_id: UUID, access: Access,
                          format: ExportFormat) -> Response:
    """The case's history as a file this person may have (the route and the page)."""
    cases = request.app.state.cases
    if format == "csv":
        events = await in_thread(cases.history, case_id)
        text = _csv([event_for(access.principal, e, access.seen_case) for e in events])
        return _download(text, "text/csv", f"case-{case_id}.csv")
    lines = await in_thread(export_lines, request, case_id, access)
    if format == "bundle":
        return await evidence_bundle(request, case_id, access, lines)
    return _download("\n".join(lines) + "\n", "application/x-ndjson", f"case-{case_id}.jsonl")


def export_lines(request: Request, case_id: UUID, access: Access) -> list[str]:
    """The JSON Lines export this reader gets: withheld as they must be; its closing line
    carries the latest checkpoint and proof, and the case's reference (beside the head it
    claims: no hash covers it)."""
    redact = redactor_for(access.principal, access.seen_case)
    reference = access.seen_case.get("reference")
    named = {"reference": reference} if reference else {}
    return request.app.state.cases.export_history(
        case_id, redact=redact, **named, **request.app.state.checkpoints.evidence(case_id))


def _csv(events: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["version", "type", "recorded_at", "actor_id", "actor_role", "data"])
    for e in events:
        data = jsonable_encoder(e["data"])
        writer.writerow([e["version"], e["type"], jsonable_encoder(e["recorded_at"]),
                         e["actor"]["id"], e["actor"]["role"], _flat(data)])
    return out.getvalue()


def _flat(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _download(text: str, media_type: str, filename: str) -> Response:
    return PlainTextResponse(text, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
