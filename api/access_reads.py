"""Every read of a case by a person, and every search, recorded in the access log: here, once.

No route records its own reads: this middleware recognises them by their path
(after api/references.py has turned a reference into the case's id), so a route
added later under a case's path (a document at `/cases/{id}/documents/{doc}` or
`/case/{id}/documents/{doc}`) is recorded with no wiring of its own. A read is
recorded when a person (the principal api/deps.py found) was answered 2xx to a
GET; a health check, a refusal or a failed request is not a read.

The record is written before the answer's first byte leaves: a read whose
record could not be written is refused (503) rather than answered, so an
answered read always has its record (docs/audit-and-verification.md).
"""

import logging
import re

from starlette.datastructures import QueryParams
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from api.threads import in_thread
from api.web.rendering import env
from domain.access_log import Door, Seen
from domain.identity import Principal
from services.audit.access_log import AccessLogBook, Read
from services.platform import logs

log = logging.getLogger("casework.access_reads")

_CASE = re.compile(r"^/(cases|case)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                   r"[0-9a-f]{12})(?:/([^/]*)(.*))?$")
_API_PARTS = {"": Seen.STATE, "stage": Seen.STATE, "history": Seen.HISTORY,
              "as-of": Seen.AS_OF, "verification": Seen.VERIFICATION,
              "documents": Seen.DOCUMENT, "access-log": Seen.ACCESS_LOG}
_PAGE_PARTS = {"": Seen.PAGE, "case-file.pdf": Seen.CASE_FILE, "documents": Seen.DOCUMENT,
               "access-log": Seen.ACCESS_LOG}
_SEARCHES = {"/cases": Door.API, "/search": Door.PAGE}


def read_in(path: str, query_string: bytes) -> tuple[Seen, Door, str | None, str | None] | None:
    """What a GET of this path reads (what, door, case id, search words), None if no case
    and no search: the one list of the paths that read a case."""
    found = _CASE.match(path)
    if found is not None:
        door = Door.API if found[1] == "cases" else Door.PAGE
        part = found[3] or ""
        if part.startswith("export"):
            return Seen.EXPORT, door, found[2], None
        parts = _API_PARTS if door is Door.API else _PAGE_PARTS
        return parts.get(part, Seen.STATE if door is Door.API else Seen.PAGE), door, found[2], None
    if path in _SEARCHES:
        # read as the route reads it: `q` given twice searches the last, so the last is
        # recorded (not the first, which would let a search be logged as another)
        words = QueryParams(query_string).get("q", "").strip()
        return (Seen.SEARCH, _SEARCHES[path], None, words) if words else None
    return None


class CaseReads:
    """Records each answered read before its answer is sent (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *, recording: bool = True) -> None:
        self.app = app
        self.recording = recording

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        read = read_in(scope["path"], scope.get("query_string", b"")) \
            if scope["type"] == "http" and scope["method"] == "GET" and self.recording else None
        if read is None:
            return await self.app(scope, receive, send)
        refused = False

        async def sending(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                refused = not await _recorded(scope, read)
                if refused:
                    return await _refusal(scope, read[1])(scope, receive, send)
            if not refused:
                await send(message)

        await self.app(scope, receive, sending)


async def _recorded(scope: Scope, read: tuple[Seen, Door, str | None, str | None]) -> bool:
    """Write the record (True); False when it could not be written. A request no person
    made (no principal) needs none."""
    state = scope.get("state", {})
    principal: Principal | None = state.get("principal")
    if principal is None:
        return True
    what, door, case_id, words = read
    book: AccessLogBook = scope["app"].state.access_log
    try:
        await in_thread(book.append, Read(
            principal.id, principal.role.value, what, door, case_id,
            state.get("case_reference") if case_id else None, words,
            logs.request_id.get() or ""))
    except Exception:  # noqa: BLE001 - the read is refused, and the failure logged
        log.exception("casework: a read could not be recorded in the access log; refused")
        return False
    return True


def _refusal(scope: Scope, door: Door) -> Response:
    detail = "the read could not be recorded in the access log; try again shortly"
    if door is Door.PAGE:
        return HTMLResponse(status_code=503, content=env.get_template("problem.html").render(
            cspNonce=scope.get("state", {}).get("csp_nonce", ""),
            title="Sorry, there is a problem with the service",
            detail="casework could not record that you looked at this, so it has not shown "
                   "it. Try again in a few minutes."))
    return problem(503, "read not recorded", detail, rule="access_not_recorded", field="path")
