"""A case: its summary, risk, deadlines, plan, people, meetings and timeline; and its forms.

Each form is a case command of api/commands.py, offered only when the role
rules allow this person to make it; a submitted form goes through the same role
checks as the API's route and to the same command handler
(services/cases/handler.py: the version check, the service call, the workflow
told), so a page can do nothing the API would not, and a posted form the person
may not make is refused with 403 as the API refuses it.
"""

from datetime import datetime, time, timedelta
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from api.commands import COMMANDS, CommandSpec
from api.deps import Access, check_access, relations_of
from api.routes import cases as case_routes
from api.routes import commands as command_routes
from api.schemas import CaseOpen
from api.threads import in_thread
from api.views import case_for, event_for
from api.web.answers import answer_rows
from api.web.case_documents import documents_on_page
from api.web.forms import (
    FieldError,
    FormField,
    body_from_form,
    form_fields,
    multi_dict,
    rows_in,
    with_row_added,
    with_row_removed,
)
from api.web.messages import cleaned, in_words, refusal
from api.web.people import directory
from api.web.pickers import choices, deployment_peers, unchosen
from api.web.rendering import LONDON, render
from api.web.routing import PageRoute, Who, page_context, posted_form
from api.web.seen import seen_by
from api.web.timeline import sentence, short_sentence
from domain.errors import DomainError
from domain.identity import Principal, may
from domain.plan import measures
from domain.register_access import may_use_registers
from services.audit.checkpoints import verify_against_checkpoint
from services.cases.handler import Actor
from services.cases.service import CaseNotFound, StaleVersion
from services.eventstore.store import NotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The commands the API offers (a command appears once the case service has its method).
_ROUTED = {route.path for route in command_routes.router.routes if isinstance(route, APIRoute)}


async def case_access(request: Request, who: Principal, action: str
                      ) -> tuple[Access, dict[str, Any]]:
    """The role rules for an action on the case in the path, and the case they let through."""
    access = await check_access(request, who, action)
    assert access.case is not None  # a case route's gate always loads the case
    return access, access.case


def _offered() -> list[CommandSpec]:
    return [s for s in COMMANDS if f"/cases/{{case_id}}/{s.path}" in _ROUTED]


def commands_for(who: Principal, case: dict[str, Any]) -> list[CommandSpec]:
    """The commands this person may make on this case now: the role rules allow them, and
    the case would take them (its `next_steps`, which ask each command's own checks)."""
    relations = relations_of(case)
    not_now = case.get("next_steps") or {}
    return [s for s in _offered() if may(who, s.action, relations)
            and (s.allows is None or _may_some(who, s, case)) and not not_now.get(s.action)]


TASK_TITLES = {
    "record diagnosis": "Record the diagnosis",
    "draft support plan": "Draft the support plan",
    "ask council to agree plan": "Ask the council to agree the plan",
    "agree support plan": "Agree the support plan",
    "review progress": "Review progress against the plan",
    "record joint meeting summary": "Record the joint local meeting's summary",
    "record joint local meeting": "Hold the proposed joint local meeting",
    "confirm escalation": "Decide the proposed escalation",
    "convene government meeting": "Convene the government meeting",
    "conclude government meeting": "Record the government meeting's conclusion",
    "close case": "Close the case",
    "record follow-up review": "Record the follow-up review",
    "reopen case": "Reopen the case",
}
"""Each main step of a case, in the words of the task list."""


def tasks_for(who: Principal, case: dict[str, Any],
              offered: list[CommandSpec]) -> list[dict[str, Any]]:
    """The case's main steps this person takes, each linking to its form when it can be
    taken now; those who put the plan to the council also see whether it has agreed."""
    relations, by_action = relations_of(case), {s.action: s for s in offered}
    shown = []
    for task in case.get("tasks") or []:
        action, spec = task["action"], by_action.get(task["action"])
        watched = action == "agree support plan" and may(who, "ask council to agree plan",
                                                          relations)
        if action not in TASK_TITLES or not (may(who, action, relations) or watched):
            continue
        status = task["status"]
        if spec is not None and status == "Waiting for the council":
            status = "Not started"  # the council's own liaison: it waits on them
        if spec is None and task.get("rule") in SUPPORT_STILL_RUNNING:
            spec = _closing_checklist(who, case)  # its form lists what to end, each with End
            status = "Not started" if spec else status
        shown.append({"action": action, "title": TASK_TITLES[action], "status": status,
                      "href": f"/case/{case['id']}/do/{spec.path}" if spec else None,
                      "why_not": _why_not(task)})
    return shown


# What stands between a case and its closure while support runs: the closing form lists
# each deployment and commission still running, with its End button.
SUPPORT_STILL_RUNNING = frozenset({"peer_deployments_end_first", "commissions_end_first"})


def _closing_checklist(who: Principal, case: dict[str, Any]) -> CommandSpec | None:
    spec = _spec("closure")
    return spec if may(who, spec.action, relations_of(case)) else None


def _why_not(task: dict[str, Any]) -> str:
    """Why a step cannot be taken yet, in the page's words for the domain's rule."""
    if not task.get("why_not"):
        return ""
    return refusal(task["rule"], task["why_not"]) if task.get("rule") else cleaned(
        task["why_not"])


def _may_some(who: Principal, spec: CommandSpec, case: dict[str, Any]) -> bool:
    """A rule that reads the body (a peer's own deployment): offered if any value passes."""
    deployments = case.get("deployments") or {}
    return any(spec.allows(who, _Body(d), case) for d in deployments)  # type: ignore[misc]


class _Body:
    def __init__(self, deployment_id: str) -> None:
        self.deployment_id = deployment_id


def _spec(command: str) -> CommandSpec:
    found = next((s for s in _offered() if s.path == command), None)
    if found is None:
        raise NotFound("no such command", field="command")
    return found


def _end_of(day: str) -> datetime:
    """The last moment of a day in England: "as of 3 March" includes all of 3 March."""
    return datetime.combine(datetime.fromisoformat(day).date() + timedelta(days=1), time(),
                            tzinfo=LONDON) - timedelta(microseconds=1)


@router.get("/case/{case_id}")
async def case_page(request: Request, case_id: UUID, who: Who, as_of: str = "",
                    done: str = "") -> Response:
    access, known = await case_access(request, who, "read case")
    case_routes.readable(access)  # poison: the problem page, naming the version and why
    relations = relations_of(known)
    cases = request.app.state.cases
    at, as_of_error = None, ""
    if as_of and may(who, "read case as of", relations):
        try:
            at = _end_of(as_of)
        except ValueError:
            as_of_error = "Enter a real date, for example 2027-03-03"
    case, before_case = case_for(who, known), False
    if at is not None:
        try:
            case = case_for(who, await in_thread(lambda: cases.case_as_of(case_id, at=at)),
                            known)
        except (CaseNotFound, NotFound):
            before_case = True  # casework held nothing about it yet on that date
    events, verification = await readable_history(request, who, case_id, known, at=at)
    commands = [] if at else commands_for(who, known)
    people = await directory(request)
    tasks = [] if at else tasks_for(who, known, commands)
    linked = {t["action"] for t in tasks if t["href"]}
    return render(request, "case.html", **page_context(
        request, who, case=case, events=list(reversed(events)) if events is not None else None,
        commands=commands, tasks=tasks, other_commands=[
            s for s in commands if s.action not in linked], as_of=as_of, at=at,
        as_of_error=as_of_error, may_as_of=may(who, "read case as of", relations),
        verification=verification, may_export=may(who, "export history", relations),
        done=done, before_case=before_case, people=people,
        deployment_peers=deployment_peers(people, case),
        may_match=may_use_registers(who, "match support") and not at,
        seen_by=None if at else await seen_by(request, who, case_id, relations),
        **await documents_on_page(request, who, case, known, now=at is None)))


async def readable_history(request: Request, who: Principal, case_id: UUID,
                           known: dict[str, Any], *, at: datetime | None = None
                           ) -> tuple[list[dict[str, Any]] | None, dict[str, Any] | None]:
    """The case's events as this person may read them (None: not theirs to read), and the
    verification of its history against the latest checkpoint (None: not theirs to ask):
    what the case page shows and the case file prints, withheld alike."""
    relations, cases = relations_of(known), request.app.state.cases
    events = None
    if may(who, "read history", relations):
        events = [event_for(who, e, known) for e in await in_thread(cases.history, case_id)]
        if at is not None:
            events = [e for e in events if e["recorded_at"] <= at]
    verification = None
    if may(who, "verify history", relations):
        verification = (await in_thread(verify_against_checkpoint, cases,
                                        request.app.state.checkpoints, case_id)).as_dict()
    return events, verification


@router.get("/case/{case_id}/export.{fmt}")
async def export(request: Request, case_id: UUID, who: Who,
                 fmt: Literal["jsonl", "csv", "zip"]) -> Response:
    """The history to download; `export.zip` is the evidence bundle."""
    access = await check_access(request, who, "export history")
    return await case_routes.export_download(request, case_id, access,
                                             "bundle" if fmt == "zip" else fmt)


@router.get("/case/{case_id}/do/{command:path}")
async def command_form(request: Request, case_id: UUID, command: str, who: Who) -> Response:
    """The command's form; with answers in the query ("Change" on Check your answers),
    those answers, on the version the person first read."""
    spec = _spec(command)
    _, case = await case_access(request, who, spec.action)
    answers = multi_dict(list(request.query_params.multi_items()))
    return await _form_page(request, who, spec, case, values=answers,
                      version=_version(answers.get("expected_version")) or case["version"],
                      known=await _knows_the_case(request, who, spec, case))


async def _fields(request: Request, who: Principal, spec: CommandSpec, case: dict[str, Any],
                  values: dict[str, Any] | None = None) -> list[FormField]:
    """The command's fields (as many rows of each list as the person has asked for), each
    person or record in it a choice of names."""
    return await choices(request, who, form_fields(spec.schema, rows_in(values or {})),
                         case=case, spec=spec)


async def _form_page(request: Request, who: Principal, spec: CommandSpec,
                     case: dict[str, Any], *, version: int,
                     values: dict[str, Any] | None = None,
                     errors: list[FieldError] | None = None,
                     changes: list[dict] | None = None, status: int = 200,
                     known: dict[str, Any] | None = None) -> Response:
    fields = await _fields(request, who, spec, case, values)
    errors = in_words(errors or [], fields)
    return render(request, "command.html", status=status, **page_context(
        request, who, spec=spec, case=case_for(who, case), fields=fields,
        version=version, values=values or {}, errors=errors, changes=changes or [],
        error_ids={e.field: e for e in errors}, **(known or {})))


# Commitments a person checks before they are recorded (GOV.UK's "Check answers").
CHECKED = frozenset({"support", "peer-deployments", "stage", "escalation/confirmation",
                     "government-meeting", "closure"})
# Where a form opened from another page returns to: closing's checklist, the matches.
_RETURNS = {"closure": "do/closure", "matches": "support-matches?done=commissioned"}


async def _knows_the_case(request: Request, who: Principal, spec: CommandSpec,
                          case: dict[str, Any]) -> dict[str, Any]:
    """What a form shows of the case beyond its fields: the agreed plan's measures on a
    progress review, what must end before a closure, and its button's words."""
    known: dict[str, Any] = {"button": "Continue" if spec.path in CHECKED else spec.summary}
    if spec.path == "progress-reviews" and case.get("agreed_plan"):
        known["measures"] = list(dict.fromkeys(measures(case["agreed_plan"]["actions"])))
    if spec.path == "closure":
        known["to_end"] = await _support_to_end(request, who, case)
    return known


async def _support_to_end(request: Request, who: Principal, case: dict[str, Any]
                          ) -> list[dict[str, Any]]:
    """Each deployment and commission still running, by name, with the end command it
    takes (the case says which are running: the closure rule is the domain's)."""
    running = await in_thread(request.app.state.cases.support_to_end, UUID(str(case["id"])))
    people = await directory(request)
    relations = relations_of(case)
    deployments = [{"path": "peer-deployment-ends", "field": "deployment_id", "id": key,
                    "name": f"{people.peer_name(case['deployments'][key]['peer_id'])}, "
                            f"{case['deployments'][key]['role']}",
                    "what": "peer deployment", "may": may(who, "end peer deployment",
                                                          relations)}
                   for key in running["deployments"]]
    held = {c.get("commission_id") or f"commission-{i + 1}": c
            for i, c in enumerate(case.get("commissions") or [])}
    commissions = [{"path": "commission-ends", "field": "commission_id", "id": key,
                    "name": f"{held[key]['description']}, {held[key]['provider']}",
                    "what": "commissioned support", "may": may(who, "end commission",
                                                               relations)}
                   for key in running["commissions"] if key in held]
    return deployments + commissions


@router.post("/case/{case_id}/do/{command:path}")
async def run_command(request: Request, case_id: UUID, command: str, who: Who) -> Response:
    form = await posted_form(request)
    spec = _spec(command)
    access, case = await case_access(request, who, spec.action)
    known = await _knows_the_case(request, who, spec, case)
    version = _version(form.get("expected_version"))
    if form.get("add") or form.get("remove") or form.get("change"):
        return await _form_page(request, who, spec, case, version=version or 0, known=known,
                                values=_rows_changed(form))
    body, errors = body_from_form(spec.schema, form)
    errors = unchosen(await _fields(request, who, spec, case, form), form, errors)
    if version is None:
        errors.insert(0, FieldError("expected_version", "missing",
                                    "The form did not say which version of the case it read"))
    if errors or body is None or version is None:
        return await _form_page(request, who, spec, case, version=version or 0, values=form,
                                errors=errors, status=422, known=known)
    command_routes.check_allowed(spec, access, body)
    if spec.path in CHECKED and form.get("confirmed") != "yes":
        return await _check_page(request, who, spec, case, form)
    try:
        await request.app.state.commands.handle(
            case_id, spec.method, spec.arguments(body), Actor(access.id, access.role),
            expected_version=version)
    except StaleVersion as stale:
        changes = await _changes_since(request, who, case_id, version)
        return await _form_page(request, who, spec, case, version=stale.current_version,
                                values=form, changes=changes, status=409, known=known,
                                errors=[FieldError("expected_version", stale.rule,
                                                   _stale_words(changes))])
    except DomainError as refused:
        field = refused.field if refused.field in {f.name for f in form_fields(spec.schema)} \
            else "expected_version"
        words = refusal(refused.rule, refused.message, await _known(request, form, case),
                        refused.field)
        return await _form_page(request, who, spec, case, version=version, values=form,
                                errors=[FieldError(field or "expected_version", refused.rule,
                                                   words)], status=422, known=known)
    if form.get("then") in _RETURNS:
        return RedirectResponse(f"/case/{case_id}/{_RETURNS[form['then']]}", status_code=303)
    return RedirectResponse(f"/case/{case_id}?done={spec.method}", status_code=303)


def _rows_changed(form: dict[str, Any]) -> dict[str, Any]:
    """The form with a row added ("Add another action") or removed, all else kept; or,
    from Check your answers, the form as it was ("Change")."""
    kept = {k: v for k, v in form.items() if k not in ("add", "remove", "change", "confirmed")}
    if form.get("change"):
        return kept
    if form.get("add"):
        return with_row_added(kept, str(form["add"]))
    name, _, index = str(form["remove"]).rpartition(".")
    return with_row_removed(kept, name, int(index)) if index.isdigit() else kept


async def _check_page(request: Request, who: Principal, spec: CommandSpec,
                      case: dict[str, Any], form: dict[str, Any]) -> Response:
    """The answers, each with a "Change" that posts them all back to the form, and the
    button that records them; the answers and the version read travel hidden (text on
    many lines too, which an address could not carry)."""
    answers = {k: v for k, v in form.items() if k not in ("csrf_token", "confirmed")}
    rows = await answer_rows(request, form_fields(spec.schema, rows_in(form)), form)
    return render(request, "check_answers.html", **page_context(
        request, who, spec=spec, case=case_for(who, case), rows=rows, answers=answers))


def _version(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) > 0 else None


async def _changes_since(request: Request, who: Principal, case_id: UUID,
                         version: int) -> list[dict[str, Any]]:
    """What was recorded since the form was read, each as the timeline says it."""
    cases = request.app.state.cases
    events = await in_thread(cases.history, case_id)
    case = await in_thread(cases.get_case, case_id)
    people = await directory(request)
    return [{**seen, "said": sentence(seen, people, case), "short": short_sentence(
        seen, people, case)} for seen in (event_for(who, e, case) for e in events
                                          if e["version"] > version)]


def _stale_words(changes: list[dict[str, Any]]) -> str:
    """"Lia Liaison agreed the support plan since you opened this form. ..." """
    latest = changes[-1]["short"] if changes else "Someone changed this case"
    more = len(changes) - 1
    also = f" (and {more} other change{'s' if more != 1 else ''})" if more > 0 else ""
    return f"{latest}{also} since you opened this form. Check what changed and submit again"


async def _known(request: Request, form: dict[str, Any], case: dict[str, Any]
                 ) -> dict[str, str]:
    """The names a refusal's words may need: the peer chosen and the case's council."""
    people = await directory(request)
    peer = str(form.get("peer_user") or form.get("peer_id") or "")
    return {"council": str(case.get("authority") or ""),
            "peer": people.peer_name(peer) if peer else ""}


@router.get("/new-case")
async def new_case_form(request: Request, who: Who) -> Response:
    await check_access(request, who, "open case", on_case=False)
    return await _new_case_page(request, who, values={"owner": who.id})


async def _opening_fields(request: Request, who: Principal) -> list[FormField]:
    """The concern's fields, the council chosen from the register; its region follows
    from the council, so it is not asked."""
    return await choices(request, who, [f for f in form_fields(CaseOpen) if f.name != "region"])


async def _new_case_page(request: Request, who: Principal, *, values: dict[str, Any],
                         errors: list[FieldError] | None = None,
                         status: int = 200) -> Response:
    fields = await _opening_fields(request, who)
    errors = in_words(errors or [], fields)
    return render(request, "new_case.html", status=status, **page_context(
        request, who, fields=fields, values=values, errors=errors,
        error_ids={e.field: e for e in errors}))


@router.post("/new-case")
async def open_case(request: Request, who: Who) -> Response:
    form = await posted_form(request)
    access = await check_access(request, who, "open case", on_case=False)
    council = str(form.get("authority") or "")
    region = await in_thread(request.app.state.registers.authority_region, council)
    body, errors = body_from_form(CaseOpen, {**form, "region": region or ""})
    errors = unchosen(await _opening_fields(request, who), form, [
        e for e in errors if e.field != "region"])  # the region is the council's
    if errors or not isinstance(body, CaseOpen):
        return await _new_case_page(request, who, values=form, errors=errors, status=422)
    case_routes.check_may_open(access, body)
    try:
        handled = await request.app.state.commands.open_case(
            case_routes.opening_of(body), Actor(access.id, access.role))
    except DomainError as refused:
        return await _new_case_page(request, who, values=form, status=422, errors=[
            FieldError(refused.field or "authority", refused.rule,
                       refusal(refused.rule, refused.message, field=refused.field))])
    assert handled.case is not None
    return RedirectResponse(f"/case/{handled.case['id']}?done=open_case", status_code=303)
