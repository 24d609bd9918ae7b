"""The national picture: the nine regions side by side, each linking to its own picture.

Counts only, read from the case list in one grouped query (no case is loaded), with
each region's budget from the registers: so inspectors and administrators see where
cases gather, run late or are red-flagged, and how much of each region's 5% is used.
"""

from fastapi import APIRouter, Request, Response

from api.deps import check_access
from api.routes.registers import _registers
from api.threads import in_thread
from api.web.rendering import render
from api.web.routing import PageRoute, Who, page_context
from domain.identity import may
from domain.national_picture import BANDS, STAGES, national_picture

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/national-picture")
async def national_picture_page(request: Request, who: Who) -> Response:
    await check_access(request, who, "read national picture", on_case=False)
    view, cases = request.app.state.case_list, request.app.state.cases
    registers = _registers(request)  # built at start: no I/O

    def gather() -> list[dict]:
        view.catch_up(cases)
        budgets = {r["region"]: r["budget"] for r in registers.regional_picture()}
        return national_picture(view.national_counts(), budgets)

    regions = await in_thread(gather)
    return render(request, "national_picture.html", **page_context(
        request, who, regions=regions[:-1], england=regions[-1], stages=STAGES, bands=BANDS,
        may_read_regions=may(who, "read regional picture")))
