"""Search: the cases a person may know of that their words find, best first.

The box in the page header sends `q` here; the words are matched as the API's
`GET /cases?q=` matches them (the same reach, the same index), and each result
shows the council, the reference, the stage, the owner and the words that matched.
"""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import check_access
from api.routes import cases as case_routes
from api.web.people import directory
from api.web.rendering import render
from api.web.routing import PageRoute, Who, navigation, page_context
from domain.identity import may
from services.caselist import search

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 20


@router.get("/search")
async def search_page(request: Request, who: Who, q: str = "", page: str = "1") -> Response:
    if not may(who, "list cases"):  # an admin has no cases: their first place instead
        places = navigation(who)
        return RedirectResponse(places[0]["href"] if places else "/account", status_code=303)
    access = await check_access(request, who, "list cases", on_case=False)
    if len(q) > search.MAX_QUERY:  # said in words, with the box to try again
        return render(request, "search.html", status=422, **page_context(
            request, who, search_q=q[:search.MAX_QUERY], too_long=True, query=None,
            limit=search.MAX_QUERY))
    query = search.Query.of(q)
    number = _page_number(page)
    chosen = case_routes.worklist_filter(
        access, stage=None, risk_band=None, region=None, authority=None, overdue=None,
        case_status=None, owner=None, due_by=None)
    found = await case_routes.read_search(
        request, request.app.state.cases, access, chosen, query, page=number,
        limit=PAGE_SIZE, now=datetime.now(UTC))
    people = await directory(request)
    for row in found["cases"]:
        row["owner_name"] = people.name_of(row["owner"]) if row["owner"] else ""
    return render(request, "search.html", **page_context(
        request, who, search_q=q, query=query, found=found, number=number, page_size=PAGE_SIZE,
        pagination=_pagination(q, number, found)))


def _pagination(q: str, number: int, found: dict[str, Any]) -> dict[str, Any] | None:
    """GOV.UK pagination: the pages near this one, the first and the last, with gaps."""
    pages = min(-(-found["total"] // PAGE_SIZE), search.MAX_PAGE)
    if pages <= 1:
        return None
    href = f"/search?{_query_string(q)}&page="
    items: list[dict[str, Any]] = []
    for n in range(1, pages + 1):
        if n in (1, pages) or abs(n - number) <= 1:
            items.append({"number": n, "href": f"{href}{n}", "current": n == number})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {"items": items,
            "previous": {"href": f"{href}{number - 1}"} if number > 1 else None,
            "next": {"href": f"{href}{number + 1}"} if number < pages else None}


def _page_number(page: str) -> int:
    """The page asked for, within 1 to the last page kept; anything else (a word, "²",
    thousands of digits) is the first page, never an error."""
    if not (page.isascii() and page.isdigit() and len(page) <= 6):
        return 1
    return min(max(int(page), 1), search.MAX_PAGE)


def _query_string(q: str) -> str:
    return urlencode({"q": q})
