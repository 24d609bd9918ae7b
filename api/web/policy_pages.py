"""The region policy page: a coordinator's own region, or any region for an admin.

The form asks in words (a number and a unit for each duration, escalation as
radios) and is read back into the API's own body (`PolicyChange`), so the page
and the API accept the same fields with the same rules; only the fields a person
changed are sent, and the change wakes the region's open cases exactly as the
API's does.
"""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden
from api.routes.policy import PolicyChange, wake_open_cases
from api.threads import in_thread
from api.web.forms import FieldError, body_from_form
from api.web.messages import in_words, refusal
from api.web.people import directory
from api.web.policy_form import ESCALATION, POLICY_FIELDS, UNIT_WORDS, from_form, shown_values
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from domain.errors import DomainError
from domain.identity import Principal, Role
from domain.policy_access import policy_refusal
from domain.registers import Region

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _region(text: str, who: Principal, action: str) -> str:
    """The region asked for, if this person may take `action` there (else 403 / 404)."""
    try:
        region = Region(text).value
    except ValueError:
        raise Forbidden(action, who.role.value) from None
    reason = policy_refusal(who, action, region)
    if reason is not None:
        raise _Outside(reason, action)
    return region


class _Outside(Forbidden):
    """Refused with the reason itself (whose region it is, who may)."""

    def __init__(self, reason: str, action: str) -> None:
        Exception.__init__(self, reason)
        self.action = action


@router.get("/region-policy")
async def choose_region(request: Request, who: Who) -> Response:
    """A coordinator goes straight to their region; an admin chooses one."""
    if who.role is Role.COORDINATOR and who.region:
        return RedirectResponse(f"/region-policy/{who.region}", status_code=303)
    if who.role is not Role.ADMIN:
        raise Forbidden("read region policy", who.role.value)
    return render(request, "region_policy.html", **page_context(
        request, who, regions=[r.value for r in Region], region=None))


@router.get("/region-policy/{region}")
async def policy_page(request: Request, region: str, who: Who, done: str = "") -> Response:
    return await _page(request, who, _region(region, who, "read region policy"), done=done)


async def _page(request: Request, who: Principal, region: str, *, done: str = "",
                values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                status: int = 200) -> Response:
    policies = request.app.state.cases.region_policies()
    current = await in_thread(lambda: policies.policy_for(region).shown())
    history = await in_thread(policies.history, region)
    errors = in_words(errors or [], POLICY_FIELDS)
    return render(request, "region_policy.html", status=status, **page_context(
        request, who, region=region, current=current, history=list(reversed(history)),
        fields=POLICY_FIELDS, values=values or shown_values(current), done=done,
        errors=errors, error_ids={e.field: e for e in errors},
        people=await directory(request), unit_words=UNIT_WORDS, escalation=ESCALATION))


@router.post("/region-policy/{region}")
async def change_policy(request: Request, region: str, who: Who) -> Response:
    form = await posted_form(request)
    name = _region(region, who, "set region policy")
    fields, wrong = from_form(form)
    body, errors = body_from_form(PolicyChange, fields)
    errors = wrong + [e for e in errors if e.field not in {w.field for w in wrong}]
    if errors or not isinstance(body, PolicyChange):
        return await _page(request, who, name, values=form, errors=errors, status=422)
    cases = request.app.state.cases
    current = await in_thread(lambda: cases.region_policies().policy_for(name).as_fields())
    changes = {k: v for k, v in body.model_dump(exclude_none=True).items()
               if str(v) != str(current.get(k))}
    try:
        await in_thread(lambda: cases.region_policies().change_policy(
            name, actor_id=who.id, **changes))
    except DomainError as refused:
        return await _page(request, who, name, values=form, status=422, errors=[FieldError(
            refused.field or "policy", refused.rule,
            refusal(refused.rule, refused.message, field=refused.field))])
    await wake_open_cases(request, cases, name)
    return RedirectResponse(f"/region-policy/{name}?done=changed", status_code=303)

