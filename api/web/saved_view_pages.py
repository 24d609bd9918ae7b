"""The forms behind My work's saved views: save the filters under a name, rename, delete,
share with one's region (a coordinator). Each posts with the session's CSRF token and
answers by going back to My work (Post/Redirect/Get); a name refused shows My work again
with the reason, at 422 or 409, and nothing is written."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden
from api.threads import in_thread
from api.web.messages import refusal
from api.web.overview_pages import my_work_page
from api.web.routing import PageRoute, Who, posted_form
from api.web.saved_views import DEFAULTS
from domain.errors import DomainError, InvalidField
from domain.identity import Principal, may
from domain.saved_views import VIEW_KEYS, sharing_region
from services.eventstore.store import NotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _filters(form: dict[str, Any]) -> dict[str, str]:
    """The filters the form carried, My work's keys only."""
    return {key: str(form.get(key) or DEFAULTS.get(key, "")) for key in VIEW_KEYS
            if key in form}


async def _refused(request: Request, who: Principal, form: dict[str, Any],
                   error: DomainError) -> Response:
    if isinstance(error, NotFound):
        raise error
    words = refusal(error.rule, error.message, {"name": str(form.get("name") or "").strip()})
    field = "new-name" if form.get("view") else "view-name"
    return await my_work_page(
        request, who, _filters(form), status_code=422 if isinstance(error, InvalidField)
        else 409, view_error={"text": words, "href": f"#{field}"}, view_form=form)


async def _posted(request: Request, who: Principal) -> dict[str, Any]:
    form = await posted_form(request)
    if not may(who, "list cases"):
        raise Forbidden("list cases", who.role.value)
    return form


def _back(query: dict[str, str]) -> RedirectResponse:
    return RedirectResponse("/my-work?" + urlencode(query), status_code=303)


@router.post("/my-work/views")
async def save_view(request: Request, who: Who) -> Response:
    form = await _posted(request, who)
    views = request.app.state.saved_views
    try:
        saved = await in_thread(views.save, who.id, str(form.get("name") or ""),
                                _filters(form))
    except DomainError as error:
        return await _refused(request, who, form, error)
    return _back(saved.query)


@router.post("/my-work/views/rename")
async def rename_view(request: Request, who: Who) -> Response:
    form = await _posted(request, who)
    views = request.app.state.saved_views
    try:
        await in_thread(views.rename, who.id, str(form.get("view") or ""),
                        str(form.get("name") or ""))
    except DomainError as error:
        return await _refused(request, who, form, error)
    return _back(_filters(form))


@router.post("/my-work/views/delete")
async def delete_view(request: Request, who: Who) -> Response:
    form = await _posted(request, who)
    await in_thread(request.app.state.saved_views.delete, who.id, str(form.get("view") or ""))
    return _back(_filters(form))


@router.post("/my-work/views/share")
async def share_view(request: Request, who: Who) -> Response:
    """Share a view with the coordinator's region, or stop sharing it."""
    form = await _posted(request, who)
    region = sharing_region(who) if form.get("share") == "yes" else None
    await in_thread(request.app.state.saved_views.share, who.id,
                    str(form.get("view") or ""), region)
    return _back(_filters(form))
