"""Who has seen a case, and what a person has looked at: the access log as pages.

The case's page shows its latest reads to those the role rule lets read the log
(domain/identity.py, "read access log"); `/case/{id}/access-log` pages through
them all; `/account/looked-at` is a person's own reads and searches. People are
named, roles said in the sector's words, and a read said as what the person did.
"""

from uuid import UUID

from fastapi import APIRouter, Request, Response

from api.threads import in_thread
from api.web.case_pages import case_access
from api.web.people import directory
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context
from api.web.seen import councils_of, rows_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


def _before(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 2**62 else None


@router.get("/case/{case_id}/access-log")
async def case_access_log(request: Request, case_id: UUID, who: Who,
                          before: str = "") -> Response:
    _, case = await case_access(request, who, "read access log")
    book = request.app.state.access_log
    records = await in_thread(book.of_case, str(case_id), before=_before(before),
                              limit=PAGE_SIZE)
    return render(request, "access_log.html", **page_context(
        request, who, case=case, rows=rows_of(await directory(request), records),
        older=records[-1].seq if len(records) == PAGE_SIZE else None))


@router.get("/account/looked-at")
async def looked_at(request: Request, who: Who, before: str = "") -> Response:
    book = request.app.state.access_log
    records = await in_thread(book.of_person, who.id, before=_before(before), limit=PAGE_SIZE)
    councils = await councils_of(request, records)
    return render(request, "looked_at.html", **page_context(
        request, who, rows=rows_of(await directory(request), records, councils),
        older=records[-1].seq if len(records) == PAGE_SIZE else None))
