"""Notifications: the list behind the header's count (api/web/inbox.py gathers it).

Each item says what, on which council's case (a link to the case), and when; it can be
marked seen, and one that is not a task marked done. A task is not marked done here:
it leaves the list when it is done on the case.
"""

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Forbidden
from api.threads import in_thread
from api.web import inbox
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context, posted_form
from services.caselist.inbox_marks import DONE, SEEN
from services.eventstore.store import NotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/notifications")
async def notifications(request: Request, who: Who) -> Response:
    if not inbox.has_notifications(who):
        raise Forbidden("list cases", who.role.value)
    items = await inbox.items_for(request, who)
    return render(request, "notifications.html", **page_context(
        request, who, items=[i for i in items if not i.done],
        done=sum(i.done for i in items)))


@router.post("/notifications/mark")
async def mark(request: Request, who: Who) -> Response:
    """Mark one of the person's own items seen or done; an item no longer listed (done on
    its case meanwhile) is not found, and nothing is written."""
    form = await posted_form(request)
    key, what = str(form.get("item") or ""), str(form.get("mark") or "")
    listed = {i.key: i for i in await inbox.items_for(request, who)}
    item = listed.get(key)
    if item is None or what not in (SEEN, DONE) or (what == DONE and item.task):
        raise NotFound("no such notification", field="item")
    await in_thread(request.app.state.inbox_marks.mark, who.id, key, what)
    return RedirectResponse("/notifications", status_code=303)
