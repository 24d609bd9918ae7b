"""The morning digest: one email on working days instead of each reminder as it falls.

A person who chose it gets, at 09:00 UK time (a Temporal Schedule starts the
run), what is overdue and what falls due in the next five working days on the
cases they answer for: a coordinator those of their region that no one else
owns, an owner their own, an adviser the plan deadlines of their cases. As with
each reminder (services/reminders/notices.py), an owner who cannot be written to (no
address, or deactivated) leaves their cases to the region's coordinators.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import OriginatorVersionError

from domain.calendar import add_working_days, is_working_day
from domain.case import Case
from domain.errors import DomainError
from domain.identity import Role
from services.cases.service import CaseService
from services.cases.workflow_contract import Delivery, Notice
from services.reminders.notice_text import UK, WHAT, how_long, uk_day, uk_time
from services.reminders.notices import PLAN_DEADLINES
from services.reminders.notifiers import DeliveryFailed, EmailNotifier, NotifyNotifier

log = logging.getLogger("casework.notices")
HORIZON_WORKING_DAYS = 5


@dataclass(frozen=True)
class DigestItem:
    authority: str
    deadline: str
    due: datetime
    case_url: str
    reference: str = ""

    def line(self, now: datetime) -> str:
        what = WHAT.get(self.deadline, f"the {self.deadline}")
        case = f"{self.authority} ({self.reference})" if self.reference else self.authority
        return f"{case}: {what}, due by {uk_time(self.due)} ({how_long(self.due, now)})"


class MorningDigest:
    def __init__(self, cases: CaseService, users: Callable[[], list[dict[str, Any]]],
                 email: EmailNotifier | NotifyNotifier, *, public_base_url: str = "",
                 clock: Callable[[], datetime] | None = None) -> None:
        self.cases, self.users, self.email = cases, users, email
        self.base = public_base_url.rstrip("/")
        self.clock = clock or cases.clock
        self._reachable: set[str] | None = None  # owners who can be written to; None: all

    def send(self) -> int:
        """Email each person who chose the digest; the number sent. None on a day off."""
        now = self.clock()
        if not (self.email.enabled and is_working_day(now.astimezone(UK).date())):
            return 0
        users = self.users()
        readers = [u for u in users if u.get("digest") and u["active"] and u["email"]]
        if not readers:
            return 0
        self._reachable = {u["username"] for u in users if u["active"] and u["email"]}
        cases = self._open_cases()
        return sum(self._send_to(reader, cases, now) for reader in readers)

    def _open_cases(self) -> list[Case]:
        loaded: list[Case] = [case for case_id in self.cases.case_ids()
                              if (case := self._readable(case_id)) is not None]
        # a closed case's only deadline is its follow-up review, which is reminded too
        return [case for case in loaded if case.status == "open" or case.deadlines]

    def _readable(self, case_id: Any) -> Case | None:
        """The case, or None when its history cannot be read (poison, set aside in the case
        list): one broken case must not stop every reader's digest."""
        try:
            return self.cases.repository.get(case_id)
        except (DomainError, AggregateNotFoundError, OriginatorVersionError) as error:
            log.error("morning digest: case %s left out: %s", case_id, error)
            return None

    def _send_to(self, reader: dict[str, Any], cases: list[Case], now: datetime) -> int:
        items = self.items_for(reader, cases, now)
        if not items:
            return 0
        notice = self._notice(reader, items, now)
        try:
            self.email.send(notice, reader["email"])
        except DeliveryFailed as failure:
            log.warning("morning digest to %s failed: %s", reader["email"], failure)
            return 0
        log.info("morning digest to %s: %d items", reader["email"], len(items))
        return 1

    def items_for(self, reader: dict[str, Any], cases: list[Case],
                  now: datetime) -> list[DigestItem]:
        """What is overdue or due within five working days on the reader's cases."""
        horizon = add_working_days(now, HORIZON_WORKING_DAYS)
        items = [DigestItem(case.authority, name, due, self._url(case), case.reference)
                 for case in cases for name, due in case.deadlines.items()
                 if due <= horizon and _answers_for(reader, case, name,
                                                    self._owner(case))]
        return sorted(items, key=lambda item: item.due)

    def _owner(self, case: Case) -> str | None:
        """The case's owner, if they can be written to (else the coordinators answer)."""
        owner = case.owner
        return owner if self._reachable is None or owner in self._reachable else None

    def _url(self, case: Case) -> str:
        return f"{self.base}/case/{case.id}" if self.base else ""

    def _notice(self, reader: dict[str, Any], items: list[DigestItem], now: datetime) -> Notice:
        overdue = [i for i in items if i.due < now]
        coming = [i for i in items if i.due >= now]
        subject = (f"casework: {len(overdue)} overdue, {len(coming)} due in the next "
                   f"{HORIZON_WORKING_DAYS} working days ({uk_day(now)})")
        sections = [(f"Overdue ({len(overdue)})", overdue),
                    (f"Due in the next {HORIZON_WORKING_DAYS} working days ({len(coming)})",
                     coming)]
        text = "Good morning,\n\n" + "\n".join(
            f"{title}:\n" + "".join(f"- {i.line(now)}\n" + (f"  {i.case_url}\n" if i.case_url
                                                          else "") for i in listed) + "\n"
            for title, listed in sections if listed)
        html = "<html><body><p>Good morning,</p>" + "".join(
            f"<h3>{escape(title)}</h3><ul>" + "".join(
                f'<li><a href="{escape(i.case_url, quote=True)}">{escape(i.line(now))}</a></li>'
                if i.case_url else f"<li>{escape(i.line(now))}</li>" for i in listed) + "</ul>"
            for title, listed in sections if listed) + "</body></html>\n"
        return Notice(key=f"digest:{now.astimezone(UK).date()}:{reader['username']}",
                      case_id="", authority="", region=reader.get("region") or "",
                      subject=subject, body=text, html=html, kind="digest",
                      deliveries=[Delivery("email", reader["email"])])


def _answers_for(reader: dict[str, Any], case: Case, deadline: str,
                 owner: str | None) -> bool:
    if owner:
        return bool(owner == reader["username"] or (
            deadline in PLAN_DEADLINES and reader["username"] in case.advisers))
    if reader["role"] == Role.COORDINATOR.value:
        return bool(reader["region"] == case.region)
    return deadline in PLAN_DEADLINES and reader["username"] in case.advisers
