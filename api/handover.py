"""Handing work on, as the API and the pages both do it: whose open cases, who may.

The decision itself (all or none, once per key) is the command handler's
(services/cases/handler.py `reassign_cases`); this module finds a leaver's open
cases in the case list, brought up to date first so that none just given to
them is missed, and says who may hand on which case, with the API's role rules.
"""

from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import Forbidden, relations_of
from api.threads import in_thread
from domain.errors import RuleViolation
from domain.handover import HANDOVER_OWNER_CHANGED, MAX_HANDOVER, check_may_deactivate
from domain.identity import Principal, Role, may, may_know_case
from domain.vocabulary import CaseStatus
from services.cases.handler import Actor, CaseCommandHandler
from services.cases.reassignment import Handover, Move, Moved, Permit
from services.cases.service import CaseNotFound

ACTION = "reassign case"


def permit_for(principal: Principal) -> Permit:
    """Refuses a case the person may not hand on: not found if they may not know of it."""

    def permit(case: dict[str, Any]) -> None:
        relations = relations_of(case)
        if not may(principal, ACTION, relations):
            if not may_know_case(principal, relations):
                raise CaseNotFound("no such case", field="case_ids")
            raise Forbidden(ACTION, principal.role.value)

    return permit


def open_cases_owned(request: Request, owner: str, *, region: str | None = None,
                     limit: int = MAX_HANDOVER + 1) -> list[dict[str, Any]]:
    """The case list's rows of `owner`'s open cases (in `region`, if given), oldest first;
    one more than a handover takes, so that too many is refused, not cut short."""
    view = request.app.state.case_list
    cases = request.app.state.cases
    view.catch_up(cases)
    rows: list[dict[str, Any]] = view.list_cases(owner=owner, region=region,
                                                 status=CaseStatus.OPEN.value, limit=limit)[0]
    return rows


async def moves_of(request: Request, principal: Principal, owner: str) -> list[Move]:
    """All of `owner`'s open cases, decided as they stand when handed on (each must
    then still be theirs); a coordinator's, in their own region."""
    region = principal.region if principal.role is Role.COORDINATOR else None
    rows = await in_thread(open_cases_owned, request, owner, region=region)
    return [Move(UUID(row["case_id"])) for row in rows]


async def deactivate(request: Request, commands: CaseCommandHandler, actor: Actor,
                     username: str, *, successor: str | None, reason: str | None,
                     shown: list[Move] | None = None) -> list[Moved]:
    """Deactivate someone, first handing all their open cases to `successor` in one batch
    (refused: nothing changes), so that no case is left without an owner.

    `shown`: the cases (and versions) the person deciding was shown; a case given to
    the leaver since, or changed since, refuses the batch rather than being missed.
    """
    identity = request.app.state.identity
    await in_thread(identity.user, username)  # not found: refused before anything else
    rows = await in_thread(open_cases_owned, request, username)
    check_may_deactivate(len(rows), successor)
    moved: list[Moved] = []
    if rows:
        moves = shown if shown is not None else [Move(UUID(r["case_id"])) for r in rows]
        if {m.case_id for m in moves} != {UUID(r["case_id"]) for r in rows}:
            raise RuleViolation("the cases they own changed since they were shown",
                                field="case_ids", rule=HANDOVER_OWNER_CHANGED)
        handover = Handover(moves, str(successor), reason or f"{username} has left",
                            from_owner=username)
        moved = (await commands.reassign_cases(handover, actor)).moved
    await in_thread(identity.deactivate, username)
    if successor:  # a case given to them while this ran: no one can give them more now
        late = [Move(UUID(r["case_id"])) for r in
                await in_thread(open_cases_owned, request, username)]
        if late:
            handover = Handover(late, successor, reason or f"{username} has left",
                                from_owner=username)
            moved += (await commands.reassign_cases(handover, actor)).moved
    return moved
