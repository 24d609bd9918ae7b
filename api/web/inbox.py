"""What needs a person now: the items of their notifications and the count in the header.

Nothing here is stored but the person's marks (services/caselist/inbox_marks.py):
the items are read each time from the records the emails and the digest come from.

- Tasks waiting on the person and proposals awaiting their decision come from the
  case list's own columns (indexed), as My work reads them; a task leaves the list
  when it is done on the case.
- Reminders come from each case's ReminderIssued events, and whose list a reminder
  lands in is decided by the very rule that addresses its email
  (`recipients` in services/reminders/notices.py), asked in usernames instead of
  addresses. A reminder stays until its deadline is met or moved, or it is marked done.

The count is read on every page, so the items are held per person while the case
list has not moved (and for at most HELD_FOR seconds, as "due soon" moves with the
clock), each case's reminders are read once per version of the case, and the marks,
one indexed read, are applied afresh each time.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import Access
from api.routes import cases as case_routes
from api.threads import in_thread
from api.web.people import Directory, directory
from api.web.words import day, phrase
from domain.calendar import add_working_days
from domain.identity import Principal, Role, may
from domain.policy import EscalationPolicy
from domain.vocabulary import CaseStatus
from services.caselist.projection import STREAM_ERRORS
from services.eventstore.store import mutate_each
from services.reminders.notice_text import WHAT
from services.reminders.notices import recipients

SOON = 5  # working days: a review falling due within them is a task (as on My work)
HELD_FOR = 20.0  # seconds
REMINDED_CASES = 200  # the open cases read for reminders, at most, per person
REMINDED_ROLES = (Role.COORDINATOR, Role.ADVISER, Role.AUTHORITY_LIAISON)
"""The roles a reminder can be addressed to (as owner, coordinator, adviser or liaison)."""


@dataclass(frozen=True)
class Item:
    """One thing that needs the person: what, on which case, since when."""

    key: str
    text: str
    href: str
    case_id: str
    authority: str
    at: str
    task: bool  # a task leaves by being done on the case, not by a mark
    detail: str = ""
    seen: bool = False
    done: bool = False
    reference: str = ""  # the case's, beside the council: one council may have several cases
    case_link: bool = True  # False: the person reads no case (an administrator's proposals)


def tasks_of(row: dict[str, Any], role: Role, people: Directory,
             soon: datetime) -> list[dict[str, str]]:
    """A case's tasks for this person, each in words and linking to its form (My work
    lists them, and they are the notifications' tasks)."""
    case_id, authority = row["case_id"], row["authority"]
    case = f"/case/{case_id}"
    found = []
    if role is Role.AUTHORITY_LIAISON and row["agreement_requested_at"]:
        found.append({"text": f"Agree the support plan for {authority}",
                      "href": f"{case}/do/plan/agreement",
                      "asked_by": people.name_of(row["agreement_requested_by"]),
                      "on": row["agreement_requested_at"],
                      "key": f"agree:{case_id}:{row['agreement_requested_at']}"})
    if role is Role.COORDINATOR and row["joint_summary_due"]:
        found.append({"text": f"Record the joint local meeting's summary for {authority}",
                      "href": f"{case}/do/joint-local-meetings/summary",
                      "due": row["joint_summary_due"],
                      "key": f"summary:{case_id}:{row['joint_summary_due']}"})
    review, by = row["review_due"], soon.astimezone(UTC).isoformat()
    if role in (Role.COORDINATOR, Role.ADVISER) and review and review <= by:
        found.append({"text": f"Review progress for {authority}",
                      "href": f"{case}/do/progress-reviews", "due": review,
                      "key": f"review:{case_id}:{review}"})
    return found


class UsernameDirectory:
    """The reminders' directory (services/reminders/notices.py `Directory`) answering in
    usernames rather than addresses: so the rule that addresses a reminder's email says
    whose notifications it lands in. Everyone active is reachable here, and the page is
    theirs whether or not they chose the morning digest."""

    def __init__(self, people: Directory) -> None:
        self.people = people

    def email_of(self, username: str) -> str:
        person = self.people.person(username)
        return username if person is not None and person.active else ""

    def coordinators_of(self, region: str) -> list[str]:
        return [p.username for p in self.people.choose(Role.COORDINATOR, region=region)]

    def digest_addresses(self) -> set[str]:
        return set()

    def liaisons_of(self, authority: str) -> list[str]:
        return [p.username for p in self.people.choose(Role.AUTHORITY_LIAISON,
                                                       authority=authority)]

    def name_of(self, username: str) -> str:
        return self.people.name_of(username)


async def items_for(request: Request, who: Principal) -> list[Item]:
    """Everything that needs the person, newest first, with their marks; done ones too."""
    people = await directory(request)
    app = request.app
    return await in_thread(lambda: _marked(app, who, _held(app, who, people)))


async def count_for(request: Request, who: Principal) -> int | None:
    """How many items need the person (not marked done); None for a role with no cases."""
    if not has_notifications(who):
        return None
    return sum(not item.done for item in await items_for(request, who))


def has_notifications(who: Principal) -> bool:
    """Whether anything can need this person: their cases, or (an administrator) the
    disposals the retention sweep proposes."""
    return may(who, "list cases") or may(who, "list cases due for disposal")


def _marked(app: Any, who: Principal, items: list[Item]) -> list[Item]:
    marks = app.state.inbox_marks.marks_of(who.id)
    return [replace(item, seen=marks[item.key][0], done=marks[item.key][1] and not item.task)
            if item.key in marks else item for item in items]


_HELD_LOCK = threading.Lock()


def _held(app: Any, who: Principal, people: Directory) -> list[Item]:
    """The person's items, read again once the case list has moved or HELD_FOR passed.
    An administrator's (the disposals proposed, one small read) are read every time: a
    disposal does not move the case list, and must not leave its task behind."""
    if not may(who, "list cases"):
        return _gather(app, who, people)
    view, cases = app.state.case_list, app.state.cases
    view.catch_up(cases)
    position, key = view.position(), who.id
    with _HELD_LOCK:
        if getattr(app.state, "inbox_held", None) is None:
            app.state.inbox_held = {}
        held = app.state.inbox_held.get(key)
    if held is not None and held[0] == position and held[1] > time.monotonic():
        return held[2]
    items = _gather(app, who, people)
    with _HELD_LOCK:
        app.state.inbox_held[key] = (position, time.monotonic() + HELD_FOR, items)
    return items


def _gather(app: Any, who: Principal, people: Directory) -> list[Item]:
    if not may(who, "list cases"):
        return _disposals_proposed(app) if may(who, "list cases due for disposal") else []
    view = app.state.case_list
    now = datetime.now(UTC)
    soon = add_working_days(now, SOON)
    chosen = case_routes.worklist_filter(
        Access(who), stage=None, risk_band=None, region=None, authority=None, overdue=None,
        case_status=CaseStatus.OPEN, owner=None, due_by=None)
    rows = view.tasks_waiting(chosen, role=who.role, username=who.id, soon=soon, now=now)
    items = [Item(t["key"], t["text"], t["href"], row["case_id"], row["authority"],
                  t.get("on") or t.get("due") or "", True,
                  f"asked by {t['asked_by']}" if t.get("asked_by") else "",
                  reference=row.get("reference") or "")
             for row in rows for t in tasks_of(row, who.role, people, soon)]
    if may(who, "confirm escalation"):
        items += [i for row in view.awaiting_decision(chosen, now=now) for i in _decisions(row)]
    if who.role in REMINDED_ROLES:
        items += _reminders(app, who, people, chosen)
    return sorted(items, key=lambda i: i.at, reverse=True)


def _disposals_proposed(app: Any) -> list[Item]:
    """The closed cases whose disposal the retention sweep proposed to administrators
    (workflows/retention.py): a task, until the case is disposed of or reopened."""
    return sorted((Item(
        f"disposal:{row['case_id']}:{row['proposed_at']}",
        f"Review the disposal of the case of {row['authority']}",
        f"/records/due/{row['case_id']}", row["case_id"], row["authority"], row["proposed_at"],
        True, f"closed on {day(row['closed_at'])}", reference=row.get("reference") or "",
        case_link=False) for row in app.state.retention.proposed()),
        key=lambda i: i.at, reverse=True)


def _decisions(row: dict[str, Any]) -> list[Item]:
    """The proposals on a case awaiting the coordinator's decision."""
    case_id, authority = row["case_id"], row["authority"]
    found = []
    if row["escalation_proposed_to"]:
        found.append(Item(
            f"escalation:{case_id}:{row['escalation_proposed_at']}",
            f"Decide the proposed escalation for {authority}",
            f"/case/{case_id}/do/escalation/confirmation", case_id, authority,
            row["escalation_proposed_at"] or "", True,
            f"from {phrase(row['stage'])} to {phrase(row['escalation_proposed_to'])}",
            reference=row.get("reference") or ""))
    if row["joint_meeting_proposed_at"]:
        found.append(Item(
            f"joint-meeting:{case_id}:{row['joint_meeting_proposed_at']}",
            f"Hold or decline the joint local meeting proposed for {authority}",
            f"/case/{case_id}#tasks", case_id, authority, row["joint_meeting_proposed_at"],
            True, reference=row.get("reference") or ""))
    return found


def _reminders(app: Any, who: Principal, people: Directory, chosen: Any) -> list[Item]:
    """The reminders addressed to this person on the open cases they may act on."""
    view = app.state.case_list
    rows, _ = view.list_cases(region=chosen.region, authority=chosen.authority,
                              status=CaseStatus.OPEN.value, limit=REMINDED_CASES)
    to = UsernameDirectory(people)
    policy = EscalationPolicy()  # only its region address matters to it: no one's list
    found: list[Item] = []
    for row in rows:
        if row["next_due"] and not row.get("verification"):
            case, reminders = _reminded(app, UUID(row["case_id"]), row["version"])
            found += [_reminder_item(case, event) for event in reminders
                      if who.id in recipients(case, event.deadline, event.recipient, policy,
                                              to).people]
    return found


READ_CASES = 5_000  # cases whose reminders a process keeps read, at their latest version


def _reminded(app: Any, case_id: UUID, version: int) -> tuple[Any, list[Any]]:
    """The case and its reminders whose deadline still stands (not met, paused or moved),
    read once per version of the case: a page's count reads no case that has not changed."""
    with _HELD_LOCK:
        if getattr(app.state, "inbox_cases", None) is None:
            app.state.inbox_cases = OrderedDict()
        known = app.state.inbox_cases.get(case_id)
    if known is not None and known[0] == version:
        return known[1], known[2]
    try:
        events = list(app.state.cases.events.get(case_id))
        case = mutate_each(None, events)
    except STREAM_ERRORS:  # a broken history is set aside in the case list, not here
        return None, []
    standing = [e for e in events if type(e).__name__ == "ReminderIssued"
                and case.deadlines.get(e.deadline) == e.due]
    with _HELD_LOCK:
        held = app.state.inbox_cases
        held[case_id] = (case.version, case, standing)
        held.move_to_end(case_id)
        if len(held) > READ_CASES:
            held.popitem(last=False)
    return case, standing


def _reminder_item(case: Any, event: Any) -> Item:
    what = WHAT.get(event.deadline, f"the {phrase(event.deadline)}")
    late = event.due < datetime.now(UTC)
    return Item(f"reminder:{case.id}:{event.reminder_key}",
                f"Reminder: {what} for {case.authority} "
                + (f"was due on {day(event.due)}" if late else f"is due by {day(event.due)}"),
                f"/case/{case.id}", str(case.id), case.authority,
                event.timestamp.astimezone(UTC).isoformat(), False,
                reference=getattr(case, "reference", None) or "")
