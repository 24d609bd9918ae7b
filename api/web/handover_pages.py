"""Handing work on, in pages: several cases chosen on My work, or all of someone's, to
another coordinator in one decision; and deactivating a person who owns open cases.

The cases travel with the versions the person was shown, so a case changed since
refuses the whole handover, which is decided by the command handler the API uses
(`reassign_cases`): all of the cases move, or none. Check your answers comes
before anything is recorded.
"""

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api import handover
from api.deps import Forbidden, check_access
from api.threads import in_thread
from api.web.messages import refusal
from api.web.people import Directory, directory, forget
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from domain.errors import DomainError
from domain.handover import MAX_HANDOVER
from domain.identity import Principal, Role, may_change_themselves
from services.cases.handler import Actor
from services.cases.reassignment import Handover, Move
from services.eventstore.store import NotFound
from services.identity.service import UserNotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)

HANDING_ON = "/my-work/handing-on"


def _moves(values: list[str]) -> list[Move]:
    """The cases a form carries, each as "id:version" (the version the person saw)."""
    moves = []
    for value in values[:MAX_HANDOVER + 1]:
        case_id, _, version = value.partition(":")
        try:
            moves.append(Move(UUID(case_id), int(version) if version.isdigit() else None))
        except ValueError:
            continue  # not a case: never offered by the page
    return moves


def _listed(form: Any, name: str) -> list[str]:
    given = form.get(name) if isinstance(form, dict) else form.getlist(name)
    return [str(v) for v in (given if isinstance(given, list) else [given]) if v]


async def _shown(request: Request, who: Principal, moves: list[Move]) -> list[dict[str, Any]]:
    """The chosen cases as the page shows them: council, reference and issue (a council
    may have several cases), owner; those the person may not hand on are not found."""
    permit = handover.permit_for(who)
    cases = request.app.state.cases

    def read() -> list[dict[str, Any]]:
        found = []
        for move in moves:
            case = cases.readable_case(move.case_id)
            permit(case)
            found.append({"id": str(move.case_id), "authority": case["authority"],
                          "reference": case.get("reference"),
                          "issue_type": case.get("issue_type"), "owner": case["owner"],
                          "version": move.expected_version or case["version"]})
        return found

    return await in_thread(read)


def _coordinators(people: Directory, region: str | None, *, leaving: str = "") -> list[Any]:
    return [p for p in people.choose(Role.COORDINATOR, region=region) if p.username != leaving]


async def _choose_page(request: Request, who: Principal, cases: list[dict[str, Any]], *,
                       from_owner: str = "", values: dict[str, Any] | None = None,
                       errors: list[dict[str, str]] | None = None,
                       status: int = 200) -> Response:
    people = await directory(request)
    return render(request, "handing_on.html", status=status, **page_context(
        request, who, step="choose", cases=cases, from_owner=from_owner,
        from_name=people.name_of(from_owner) if from_owner else "",
        owners=_coordinators(people, who.region, leaving=from_owner), values=values or {},
        errors=errors or [], owner_names={c["owner"]: people.name_of(c["owner"])
                                          for c in cases if c.get("owner")}))


@router.get(HANDING_ON)
async def choose(request: Request, who: Who, from_owner: str = "") -> Response:
    """Who takes the cases chosen on My work (or all of `from_owner`'s), and why."""
    await check_access(request, who, handover.ACTION, on_case=False)
    if from_owner:
        rows = await in_thread(handover.open_cases_owned, request, from_owner,
                               region=who.region)
        moves = [Move(UUID(r["case_id"]), r["version"]) for r in rows]
    else:
        moves = _moves(request.query_params.getlist("case"))
    cases = await _shown(request, who, moves)
    errors = [] if cases else [{"id": "cases", "text": (
        f"{(await directory(request)).name_of(from_owner)} owns no open cases" if from_owner
        else "Select the cases to hand on")}]
    return await _choose_page(request, who, cases, from_owner=from_owner, errors=errors,
                              status=200 if cases else 422)


@router.post(HANDING_ON)
async def decide(request: Request, who: Who) -> Response:
    """The answers checked, then the handover recorded: all the cases or none."""
    form = await posted_form(request)
    await check_access(request, who, handover.ACTION, on_case=False)
    moves = _moves(_listed(form, "case"))
    from_owner = str(form.get("from_owner") or "")
    values = {"to_owner": str(form.get("to_owner") or ""),
              "reason": str(form.get("reason") or "").strip()}
    cases = await _shown(request, who, moves)
    people = await directory(request)
    errors = _answer_errors(values, _coordinators(people, who.region, leaving=from_owner))
    if errors or form.get("change") or not cases:
        return await _choose_page(request, who, cases, from_owner=from_owner, values=values,
                                  errors=errors, status=422 if errors else 200)
    if form.get("confirmed") != "yes":
        return render(request, "handing_on.html", **page_context(
            request, who, step="check", cases=cases, from_owner=from_owner, values=values,
            to_name=people.describe(values["to_owner"])))
    try:
        handed = await request.app.state.commands.reassign_cases(
            Handover(moves, values["to_owner"], values["reason"], from_owner=from_owner or None),
            Actor(who.id, who.role.value), permit=handover.permit_for(who))
    except DomainError as error:
        return await _choose_page(request, who, cases, from_owner=from_owner, values=values,
                                  errors=[{"id": "cases", "text": said(error)}], status=409)
    query = urlencode([("to", values["to_owner"])]
                      + [("case", str(m.case_id)) for m in handed.moved])
    return RedirectResponse(f"{HANDING_ON}/done?{query}", status_code=303)


def _answer_errors(values: dict[str, str], owners: list[Any]) -> list[dict[str, str]]:
    errors = []
    if values["to_owner"] not in {p.username for p in owners}:
        errors.append({"id": "to_owner", "text": "Choose the coordinator who takes the cases"})
    if not values["reason"]:
        errors.append({"id": "reason", "text": "Enter why the cases are handed on"})
    elif len(values["reason"]) > 5000:
        errors.append({"id": "reason", "text": "Why must be 5000 characters or fewer"})
    return errors


def said(error: DomainError) -> str:
    """A refusal of the handover in words, naming the case's council when one refused."""
    council = vars(error).get("authority")
    words = refusal(error.rule, error.message, {"council": council})
    return f"{council}: {words}" if council and council not in words else words


@router.get(HANDING_ON + "/done")
async def done(request: Request, who: Who, to: str = "") -> Response:
    """The cases handed on, listed in a success banner."""
    await check_access(request, who, handover.ACTION, on_case=False)
    cases = await _shown(request, who, _moves(request.query_params.getlist("case")))
    people = await directory(request)
    return render(request, "handing_on.html", **page_context(
        request, who, step="done", cases=cases, to_name=people.name_of(to)))


# -- deactivating a person --------------------------------------------------------------


async def _deactivate_page(request: Request, who: Principal, username: str, *,
                           values: dict[str, str] | None = None,
                           errors: list[dict[str, str]] | None = None,
                           status: int = 200) -> Response:
    user = await _person(request, username)
    rows = await in_thread(handover.open_cases_owned, request, username) \
        if user["active"] else []
    people = await directory(request)
    return render(request, "deactivate.html", status=status, **page_context(
        request, who, person=user, name=people.name_of(username), cases=rows,
        owners=_coordinators(people, user.get("region"), leaving=username),
        values=values or {}, errors=errors or [],
        done=request.query_params.get("done") == "yes"))


async def _person(request: Request, username: str) -> dict[str, Any]:
    """The person's account; no such person is a page not found."""
    try:
        found: dict[str, Any] = await in_thread(request.app.state.identity.user, username)
    except UserNotFound:
        raise NotFound("no such person", field="username") from None
    return found


async def _may_manage(request: Request, who: Principal, username: str) -> None:
    """An admin manages everyone; a coordinator only their region's people (the rule of
    domain/identity.py `may_manage`, which the users API obeys too)."""
    await check_access(request, who, "manage users", on_case=False)
    await _person(request, username)  # no such person: not found, before any refusal
    if not await in_thread(request.app.state.identity.may_manage, who, username):
        raise Forbidden("manage this person", who.role.value)
    if not may_change_themselves(who, username):
        raise Forbidden("deactivate themselves", who.role.value)


@router.get("/people/{username}/deactivate")
async def deactivate_page(request: Request, who: Who, username: str) -> Response:
    """Confirm deactivating someone; if they own open cases, who takes them."""
    await _may_manage(request, who, username)
    return await _deactivate_page(request, who, username)


@router.post("/people/{username}/deactivate")
async def deactivate(request: Request, who: Who, username: str) -> Response:
    """Their open cases handed on in one batch, then they are deactivated; if the
    handover is refused, nothing changes."""
    form = await posted_form(request)
    await _may_manage(request, who, username)
    shown = _moves(_listed(form, "case"))
    values = {"to_owner": str(form.get("to_owner") or ""),
              "reason": str(form.get("reason") or "").strip()}
    user = await _person(request, username)
    people = await directory(request)
    errors = _answer_errors(values, _coordinators(people, user.get("region"),
                                                  leaving=username)) if shown else []
    if errors:
        return await _deactivate_page(request, who, username, values=values, errors=errors,
                                      status=422)
    try:
        await handover.deactivate(request, request.app.state.commands,
                                  Actor(who.id, who.role.value), username,
                                  successor=values["to_owner"] or None,
                                  reason=values["reason"] or None, shown=shown)
    except DomainError as error:
        return await _deactivate_page(request, who, username, values=values, status=409,
                                      errors=[{"id": "cases", "text": said(error)}])
    forget(request)
    return RedirectResponse(f"/people/{username}/deactivate?done=yes", status_code=303)
