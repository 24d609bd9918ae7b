"""Reads from the access log as the pages say them: who by name, what they did, when, how.

Shared by the case's page ("Who has seen this case"), the case's own access-log
page and a person's "What you have looked at" (api/web/access_log_pages.py).
"""

from typing import Any
from uuid import UUID

from fastapi import Request

from api.threads import in_thread
from api.web.people import Directory, directory, role_words
from domain.access_log import DOOR_WORDS, SEEN_WORDS, Door, Seen
from domain.identity import CaseRelations, Principal, may
from services.audit.access_log import AccessRecord

ON_THE_CASE_PAGE = 10


def rows_of(people: Directory, records: list[AccessRecord],
            councils: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Each read as a table row says it: who by name and role, what, when, which door,
    and (given `councils`, by case id) the council whose case it was."""
    return [{"who": people.name_of(r.username), "role": role_words(r.role),
             "what": (f"Searched for ‘{r.query}’" if r.what == Seen.SEARCH
                      else SEEN_WORDS[Seen(r.what)]),
             "at": r.at, "door": DOOR_WORDS[Door(r.door)], "case_id": r.case_id,
             "council": (councils or {}).get(str(r.case_id)) if r.case_id else None,
             "reference": r.reference, "seq": r.seq} for r in records]


async def councils_of(request: Request, records: list[AccessRecord]) -> dict[str, str]:
    """The council of each case the reads name, from the case list: a person's own
    reads name each case as its council, not by its reference alone."""
    ids = {r.case_id for r in records if r.case_id}
    return await in_thread(request.app.state.case_list.councils_of, ids) if ids else {}


async def seen_by(request: Request, who: Principal, case_id: UUID,
                  relations: CaseRelations) -> list[dict[str, Any]] | None:
    """The case's latest reads for its page; None when the person may not read them."""
    if not may(who, "read access log", relations):
        return None
    book = request.app.state.access_log
    records = await in_thread(book.of_case, str(case_id), limit=ON_THE_CASE_PAGE)
    return rows_of(await directory(request), records)
