"""A case's reference is accepted wherever a path names a case by its id.

`GET /cases/NW-2026-0042/history` is answered as `GET /cases/{its id}/history`, and
every other `/cases/{id}/...` route and `/case/{id}...` page likewise. This is the one
place a reference becomes an id: the routes and pages below it see only ids, and check
who may see the case as they always have. A page is answered at the address asked
(not redirected to the id's): a redirect would tell someone who may not see the case
that a case with that reference exists before the page refused them. A reference no
case has is answered as the id no case has (the nil UUID) is: 404, a problem from the
API, a page in words from the pages.

An id is accepted in every spelling the routes' UUID parser takes (upper case, no
hyphens, braces, `urn:uuid:`), so each is rewritten here to the one spelling
(lower case, hyphenated) before anything below looks at the path: the access log
(api/access_reads.py) recognises a read of a case by that spelling, and a read
under another would otherwise be answered unrecorded.
"""

import re
from urllib.parse import quote
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.threads import in_thread
from domain.case_reference import CaseReference
from domain.errors import InvalidField
from services.caselist.projection import CaseListView
from services.cases.service import CaseService

NO_CASE = UUID(int=0)
ASKED = "case_reference"
"""Where the request's state keeps the reference the path named: a refusal then names the
reference, never the id it stands for (which would tell someone who may not see the case
that it exists, and which case it is)."""
_CASE_PATH = re.compile(r"^/(cases|case)/([^/]+)(/.*)?$")
_ID = TypeAdapter(UUID)
"""The parser the routes' `case_id: UUID` uses, so every spelling they accept is known."""


class CaseByReference:
    """Turns a reference in a case's path into the case's id (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _CASE_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if found is None:
            return await self.app(scope, receive, send)
        if not CaseReference.looks_like(found[2]):
            return await self.app(_one_spelling(scope, found), receive, send)
        state = scope["app"].state
        case_id = await in_thread(case_with_reference, state.case_list, state.cases, found[2])
        path = f"/{found[1]}/{case_id or NO_CASE}{found[3] or ''}"
        scope = {**scope, "path": path, "raw_path": quote(path).encode(),
                 "state": {**scope.get("state", {}), ASKED: found[2]}}
        await self.app(scope, receive, send)


def _one_spelling(scope: Scope, found: re.Match[str]) -> Scope:
    """The scope with the case's id spelt one way (see the module's docstring)."""
    try:
        spelt = str(_ID.validate_python(found[2]))
    except ValidationError:
        return scope  # not an id: the route answers 404 or 422 as it always has
    if spelt == found[2]:
        return scope
    path = f"/{found[1]}/{spelt}{found[3] or ''}"
    return {**scope, "path": path, "raw_path": quote(path).encode()}


def case_with_reference(view: CaseListView, cases: CaseService, reference: str) -> str | None:
    """The id of the case with `reference`; the list is brought up to date first if it
    does not know it yet (a case opened a moment ago)."""
    try:
        wanted = str(CaseReference.parse(reference))
    except InvalidField:  # the shape of one, but no reference (number 0000)
        return None
    found = view.case_with_reference(wanted)
    if found is None:
        view.catch_up(cases)
        found = view.case_with_reference(wanted)
    return found
