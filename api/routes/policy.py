"""Region policy: each RIEP's reminder, escalation and deadline timetable, over HTTP.

An admin reads and sets any region's policy, a coordinator their own region's
(domain/policy_access.py). A change is recorded with its actor; the region's
open cases are woken so that their next step follows it at once (deadlines
already set keep their dates).
"""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ConfigDict, Field

from api.deps import CasesDep, Forbidden, PrincipalDep
from api.text import Line, RequestBody
from api.threads import in_thread
from domain.identity import Principal
from domain.policy_access import policy_refusal
from domain.registers import Region
from services.caselist.projection import CaseListView
from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway

router = APIRouter(prefix="/regions/{region}/policy", tags=["region policy"])


class OutsideRegionPolicy(Forbidden):
    """The person may not read or set this region's policy."""

    rule = "own_region_policy_only"

    def __init__(self, reason: str, action: str) -> None:
        Exception.__init__(self, reason)
        self.action = action


def allowed(action: str):
    """The gate: an admin anywhere, a coordinator in their own region (else 403, why)."""

    async def gate(region: Region, principal: PrincipalDep) -> Principal:
        reason = policy_refusal(principal, action, region.value)
        if reason is not None:
            raise OutsideRegionPolicy(reason, action)
        return principal

    gate.action = action  # type: ignore[attr-defined]  # read by the role table
    return gate


Reader = Annotated[Principal, Depends(allowed("read region policy"))]
Setter = Annotated[Principal, Depends(allowed("set region policy"))]


class PolicyChange(RequestBody):
    """The fields to change; those left out keep their current values."""

    model_config = ConfigDict(extra="forbid")

    remind_before: Line | None = Field(
        None, max_length=40, examples=["2", "PT30S"],
        description="Notice before a deadline: working days (2) or an ISO-8601 duration.")
    remind_every: Line | None = Field(
        None, max_length=40, description="Between reminders once a deadline is missed.")
    missed_reminder_limit: int | None = Field(
        None, description="Missed-deadline reminders before escalating (0 to 20).")
    escalation: Line | None = Field(
        None, max_length=40, examples=["automatic", "proposed"],
        description="automatic (move the case up) or proposed (a coordinator confirms).")
    notify_email: Line | None = Field(None, max_length=320,
                                      description="Gets a copy of every notice.")
    webhook_url: Line | None = Field(None, max_length=2000,
                                     description="Gets every notice as JSON.")
    webhook_secret: Line | None = Field(
        None, max_length=200, description="Signs each webhook request; never shown again.")
    diagnosis: Line | None = Field(None, max_length=40,
                                   description="Time allowed for a diagnosis.")
    plan_agreed: Line | None = Field(None, max_length=40,
                                     description="Time allowed for a plan to be agreed.")
    next_review: Line | None = Field(None, max_length=40,
                                     description="Time between progress reviews.")
    meeting_summary: Line | None = Field(None, max_length=40,
                                         description="Time allowed for a meeting's summary.")
    next_joint_meeting: Line | None = Field(
        None, max_length=40, description="From a joint local meeting that found a strong "
        "local plan to the next one, unless the meeting names its date.")
    follow_up_review: Line | None = Field(
        None, max_length=40, description="From a closure as improved to its follow-up review.")


def _shown(cases: CaseService, region: str) -> dict[str, Any]:
    policies = cases.region_policies()
    return {"region": region,
            "recorded": policies.recorded_policy(region) is not None,
            "policy": policies.policy_for(region).shown()}


@router.get("", summary="The region's reminder, escalation and deadline policy")
async def read_policy(region: Region, cases: CasesDep, _: Reader) -> dict[str, Any]:
    return await in_thread(_shown, cases, region.value)


@router.get("/history", summary="Every change of the region's policy: when, who, what")
async def policy_history(region: Region, cases: CasesDep, _: Reader) -> dict[str, Any]:
    history = await in_thread(cases.region_policies().history, region.value)
    return {"region": region.value, "changes": history}


@router.put("", summary="Change the named policy fields; open cases follow from their next "
            "step, deadlines already set keep their dates")
async def set_policy(request: Request, region: Region, change: PolicyChange, cases: CasesDep,
                     who: Setter) -> dict[str, Any]:
    changes = change.model_dump(exclude_unset=True)
    await in_thread(lambda: cases.region_policies().change_policy(
        region.value, actor_id=who.id, **changes))
    woken = await wake_open_cases(request, cases, region.value)
    return {**await in_thread(_shown, cases, region.value), "cases_woken": woken}


async def wake_open_cases(request: Request, cases: CaseService, region: str) -> int:
    """Signal each open case of the region, so its workflow re-plans under the new policy
    now rather than at the step it was sleeping towards."""
    gateway: WorkflowGateway | None = request.app.state.gateway
    if gateway is None:
        return 0  # Temporal is down: each case takes the policy at its next step
    case_ids = await in_thread(open_cases_of, request.app.state.case_list, cases, region)
    for start in range(0, len(case_ids), 50):
        await asyncio.gather(*(gateway.case_changed(c) for c in case_ids[start:start + 50]))
    return len(case_ids)


def open_cases_of(view: CaseListView, cases: CaseService, region: str) -> list[str]:
    view.catch_up(cases)
    found: list[str] = []
    cursor: str | None = None
    while True:
        rows, cursor = view.list_cases(region=region, status="open", cursor=cursor, limit=200)
        found += [row["case_id"] for row in rows]
        if cursor is None:
            return found
