"""My work, the regional picture and the registers: lists over the read model and registers."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from starlette.datastructures import UploadFile

from api.deps import Forbidden, check_access
from api.routes import cases as case_routes
from api.routes.registers import _registers
from api.threads import in_thread
from api.web.inbox import tasks_of
from api.web.people import directory
from api.web.rendering import fragment, render, working_days_until
from api.web.routing import PageRoute, Who, navigation, page_context, posted_form
from api.web.saved_views import DEFAULTS, view_tabs
from domain.calendar import add_working_days
from domain.identity import Principal, Role, may
from domain.register_access import may_use_registers, region_refusal
from domain.saved_views import VIEW_KEYS
from domain.vocabulary import CaseStatus, RiskBand, Stage
from services.caselist.worklist import CaseOrder, WorklistCounts
from services.eventstore.store import NotFound
from services.registers.service import ImportRefused

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 25
SORTS = {"raised": "Date raised", "due": "Next deadline", "risk": "Risk score"}
SOON = 5  # working days: "due soon" on My work


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


E = TypeVar("E", bound=StrEnum)


def _choice(enum: type[E], value: str) -> E | None:
    """A filter's value as its enum; an empty or unknown one filters nothing (the form
    offers only the known values)."""
    return enum(value) if value in enum._value2member_map_ else None


@router.get("/my-work")
async def my_work(request: Request, who: Who, stage: str = "", risk_band: str = "",
                  authority: str = "", overdue: str = "", status: str = "open",
                  owner: str = "", sort: str = "raised", cursor: str = "") -> Response:
    if not may(who, "list cases"):  # an admin has no cases: their first place instead
        places = navigation(who)
        return RedirectResponse(places[0]["href"] if places else "/account", status_code=303)
    asked = {"stage": stage, "risk_band": risk_band, "authority": authority,
             "overdue": overdue, "status": status, "owner": owner, "sort": sort}
    return await my_work_page(request, who, asked, cursor=cursor)


async def my_work_page(request: Request, who: Principal, asked: dict[str, str], *,
                       cursor: str = "", status_code: int = 200,
                       **extra: Any) -> Response:
    """My work with these filters (VIEW_KEYS); a saved view's form refused shows here."""
    access = await check_access(request, who, "list cases", on_case=False)
    filters = {key: str(asked.get(key, DEFAULTS.get(key, ""))) for key in VIEW_KEYS}
    filters["owner"] = case_routes.ME if filters["owner"] == case_routes.ME else ""
    stage, risk_band, status = filters["stage"], filters["risk_band"], filters["status"]
    authority, overdue, owner = filters["authority"], filters["overdue"], filters["owner"]
    sort = filters["sort"]
    now = datetime.now(UTC)
    soon = add_working_days(now, SOON)
    chosen = case_routes.worklist_filter(
        access, stage=_choice(Stage, stage), risk_band=_choice(RiskBand, risk_band),
        region=None, authority=authority or None, overdue=_flag(overdue),
        case_status=_choice(CaseStatus, status), owner=owner or None, due_by=None)
    page = await case_routes.read_worklist(
        request, request.app.state.cases, access, chosen,
        order=_choice(CaseOrder, sort) or CaseOrder.RAISED, cursor=cursor or None,
        limit=PAGE_SIZE, now=now, soon=soon, awaiting=may(who, "confirm escalation"))
    rows = page["cases"]
    for row in rows:
        row["working_days"] = working_days_until(row["next_due"], now)
        row["overdue"] = bool(row["next_due"] and row["next_due"] < now.isoformat())
        row["due_soon"] = bool(row["next_due"] and not row["overdue"]
                               and row["next_due"] <= soon.isoformat())
    counts = page["counts"] or WorklistCounts(
        len(rows), sum(r["overdue"] for r in rows), sum(r["due_soon"] for r in rows))
    tasks = await _my_tasks(request, access, now, soon)
    people = await directory(request)
    for row in rows:
        row["owner_name"] = people.name_of(row["owner"]) if row["owner"] else ""
    views = await view_tabs(request, who, filters, people)
    return render(request, "my_work.html", status=status_code, **page_context(
        request, who, rows=rows, filters=filters, next_cursor=page["next_cursor"],
        proposals=page["awaiting_decision"], may_open=may(who, "open case"), tasks=tasks,
        may_hand_on=who.role is Role.COORDINATOR and may(who, "reassign case"),
        coordinators=people.choose(Role.COORDINATOR, region=who.region),
        filter_form=_filter_form(filters, may_own=who.role is Role.COORDINATOR,
                                 councils=await _filter_councils(request, who)),
        cursor=cursor, counts=counts, counted_all=page["counts"] is not None,
        views=views, may_share=who.role is Role.COORDINATOR and bool(who.region),
        plain_view=filters == {key: DEFAULTS.get(key, "") for key in VIEW_KEYS}, **extra))


async def _my_tasks(request: Request, access: Any, now: datetime,
                    soon: datetime) -> list[dict[str, str]]:
    """The tasks waiting on this person, over every open case they may act on (not only
    the filtered page), read from the case list's own columns."""
    who = access.principal
    chosen = case_routes.worklist_filter(
        access, stage=None, risk_band=None, region=None, authority=None, overdue=None,
        case_status=CaseStatus.OPEN, owner=None, due_by=None)
    view, cases = request.app.state.case_list, request.app.state.cases

    def read() -> list[dict[str, Any]]:
        view.catch_up(cases)
        return view.tasks_waiting(chosen, role=who.role, username=who.id, soon=soon, now=now)

    rows = await in_thread(read)
    people = await directory(request)
    return [task for row in rows for task in tasks_of(row, who.role, people, soon)]


async def _filter_councils(request: Request, who: Principal) -> tuple[str, ...]:
    """The councils a person may filter by, chosen by name: a coordinator's region's; none
    for a council's liaison (they see one council's cases)."""
    if who.role is Role.AUTHORITY_LIAISON:
        return ()
    region = who.region if who.role is Role.COORDINATOR else None
    registers = request.app.state.registers
    found = await in_thread(lambda: registers.list_authorities(region))
    return tuple(sorted(a["name"] for a in found))


def _filter_form(filters: dict[str, str], *, may_own: bool,
                 councils: tuple[str, ...] = ()) -> Markup:
    """The filter form, with the filters asked for chosen: rendered once for each choice."""
    return fragment("my_work_filters.html", (
        ("filters", tuple(sorted(filters.items()))), ("may_own", may_own),
        ("councils", councils),
        ("stages", tuple(s.value for s in Stage)), ("bands", tuple(b.value for b in RiskBand)),
        ("sorts", tuple(SORTS.items()))))


@router.get("/regional-picture")
async def regional_picture(request: Request, who: Who, region: str = "") -> Response:
    await check_access(request, who, "read regional picture", on_case=False)
    if who.role is Role.COORDINATOR:
        region = who.region or ""
    view, cases = request.app.state.case_list, request.app.state.cases
    registers = _registers(request)  # built at start: no I/O

    def gather() -> tuple[dict[str, Any], list[dict], list[dict]]:
        view.catch_up(cases)
        picture = view.regional_picture(region=region or None)
        support = [r for r in registers.regional_picture() if not region or r["region"] == region]
        duties = [d for d in registers.authority_duties()
                  if d["status"] != "not yet due" and (not region or d["region"] == region)]
        return picture, support, duties

    picture, support, duties = await in_thread(gather)
    bands = [b.value for b in RiskBand] + ["not assessed"]
    grid = picture["open_cases_by_stage_and_risk"]
    most = max([n for row in grid.values() for n in row.values()] or [0])
    return render(request, "regional_picture.html", **page_context(
        request, who, region=region, picture=picture, support=support, duties=duties,
        stages=[s.value for s in Stage], bands=bands, grid=grid, most=most))


@router.get("/registers/{register}")
async def register_page(request: Request, who: Who, register: str) -> Response:
    if register not in ("authorities", "peers", "offers"):
        raise NotFound("no such register", field="register")
    if not may_use_registers(who, "read registers"):
        raise Forbidden("read registers", who.role.value)
    registers = _registers(request)  # built at start: no I/O
    lister = {"authorities": registers.list_authorities, "peers": registers.list_peers,
              "offers": registers.list_offers}[register]
    items = await in_thread(lister)
    return render(request, f"register_{register}.html", **page_context(
        request, who, register=register, items=items,
        may_import=may_use_registers(who, "keep registers"), upload_limit=_upload_limit(request),
        imported=request.query_params.get("imported")))


@router.post("/registers/authorities/import")
async def import_authorities(request: Request, who: Who) -> Response:
    """A chosen file, or else the pasted rows, imported as the API imports a CSV body: the
    same service call, the same region rule, the same line-by-line refusals."""
    form = await posted_form(request)
    if not may_use_registers(who, "keep registers") or region_refusal(who, None):
        raise Forbidden("keep registers", who.role.value)
    registers = _registers(request)  # built at start: no I/O
    upload, text = form.get("csv_file"), str(form.get("csv") or "")
    chosen = upload if isinstance(upload, UploadFile) and upload.filename else None
    data: str | bytes = await chosen.read() if chosen else text  # a chosen file wins
    from_file = chosen is not None
    if not data or (isinstance(data, str) and not data.strip()):
        return await _import_page(request, who, status=422, nothing_sent=True)
    only_region = None if who.role is Role.ADMIN else who.region
    try:
        result = await in_thread(lambda: registers.import_authorities_csv(
            data, actor_id=who.id, only_region=only_region))
    except ImportRefused as refused:
        return await _import_page(request, who, status=422, refused=refused.rows,
                                  csv_text=text, from_file=from_file)
    return RedirectResponse(f"/registers/authorities?imported={result['imported']}",
                            status_code=303)


async def _import_page(request: Request, who: Principal, *, status: int,
                       **context: Any) -> Response:
    items = await in_thread(_registers(request).list_authorities)
    return render(request, "register_authorities.html", status=status, **page_context(
        request, who, register="authorities", items=items, may_import=True,
        upload_limit=_upload_limit(request), **context))


def _upload_limit(request: Request) -> str:
    """The largest file the import takes, in words: every request body's limit
    (CASEWORK_API_MAX_BODY_BYTES), the same as for pasted rows."""
    limit = request.app.state.settings.api_max_body_bytes
    return f"{limit / 1_000_000:g} MB" if limit >= 1_000_000 else f"{limit // 1000} kB"
