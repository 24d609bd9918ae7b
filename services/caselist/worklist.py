"""How the case list is filtered, ordered and paged: the SQL behind a worklist.

Sorting and counting happen in the database over every case the filters
match, not over the page in hand, so "next deadline first" puts the most
pressing case of the whole worklist at the top of the first page, and the
overdue count is the worklist's. Pages are keyset pages: the cursor carries
the order, the last row's sort key and its case id, so a page never repeats
or skips a case however many there are.
"""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from domain.errors import InvalidField
from domain.identity import Role


class CaseOrder(StrEnum):
    """The orders a worklist can be read in."""

    RAISED = "raised"  # oldest concern first
    DUE = "due"  # next deadline first; cases with none last
    RISK = "risk"  # highest current risk score first; unassessed last


_NO_DEADLINE = "9999-12-31"
DUE_KEY = f"COALESCE(c.next_due, '{_NO_DEADLINE}')"
WORKLIST_INDEXES = (
    "CREATE INDEX IF NOT EXISTS case_list_region_raised "
    "ON case_list (region, status, raised_at, case_id)",
    "CREATE INDEX IF NOT EXISTS case_list_region_due "
    f"ON case_list (region, status, (COALESCE(next_due, '{_NO_DEADLINE}')), case_id)",
    "CREATE INDEX IF NOT EXISTS case_list_region_risk "
    "ON case_list (region, status, (COALESCE(risk_score, 0)) DESC, case_id)",
    "CREATE INDEX IF NOT EXISTS case_list_authority_raised "
    "ON case_list (authority, status, raised_at, case_id)",
    "CREATE INDEX IF NOT EXISTS case_list_owner_raised "
    "ON case_list (owner, status, raised_at, case_id)",
)
"""A region's, a council's and an owner's worklist read in each order straight from an
index (with the case id, so that ties need no sort); the counts read the due index alone."""
_KEYS: dict[CaseOrder, tuple[str, str]] = {
    CaseOrder.RAISED: ("c.raised_at", "ASC"),
    CaseOrder.DUE: (DUE_KEY, "ASC"),
    CaseOrder.RISK: ("COALESCE(c.risk_score, 0)", "DESC"),
}
AWAITING_COLUMNS = ("escalation_proposed_to", "escalation_proposed_at",
                    "joint_meeting_proposed_at", "red_flag_raised_at")
"""What waits on a case, and its red flag: columns since migration 7."""
AWAITING_DECISION = ("(c.escalation_proposed_at IS NOT NULL "
                     "OR c.joint_meeting_proposed_at IS NOT NULL)")
AWAITING_INDEX = (
    "CREATE INDEX IF NOT EXISTS case_list_awaiting ON case_list (region, status, case_id) "
    f"WHERE {AWAITING_DECISION.replace('c.', '')}")
"""The few cases with a proposal awaiting a decision, found without reading the rest: a
partial index (the query repeats its condition word for word, as SQLite needs)."""
TASK_COLUMNS = ("agreement_requested_at", "agreement_requested_by", "joint_summary_due",
                "review_due", "adviser")
"""What waits on a person, read by My work without loading each case: the plan put to the
council (when, by whom), a joint local meeting's summary awaited, the next progress review
and the plan's adviser. Columns since migration 8."""
ANY_TASK = ("(agreement_requested_at IS NOT NULL OR joint_summary_due IS NOT NULL "
            "OR review_due IS NOT NULL)")
TASKS_INDEX = ("CREATE INDEX IF NOT EXISTS case_list_tasks ON case_list (status, case_id) "
               f"WHERE {ANY_TASK[1:-1]}")
"""The few cases with any task waiting, found without reading the rest. SQLite uses a
partial index only when the query repeats its condition word for word: `waiting_on`
adds `ANY_TASK` to each role's own condition, which implies it."""


def waiting_on(role: Role, username: str, soon: datetime) -> tuple[str, list[Any]] | None:
    """The condition on `case_list c` for the cases with a task waiting on this person:
    a plan to agree (a liaison), a joint meeting's summary or a review falling due (a
    coordinator), a review falling due (the plan's adviser); None for the other roles."""
    by = soon.astimezone(UTC).isoformat()
    if role is Role.AUTHORITY_LIAISON:
        found: tuple[str, list[Any]] = ("c.agreement_requested_at IS NOT NULL", [])
    elif role is Role.COORDINATOR:
        found = ("(c.joint_summary_due IS NOT NULL OR c.review_due <= ?)", [by])
    elif role is Role.ADVISER:
        found = ("(c.adviser = ? AND c.review_due <= ?)", [username, by])
    else:
        return None
    return f"{found[0]} AND {ANY_TASK}", found[1]


SUPERSEDED_INDEXES = tuple(f"DROP INDEX IF EXISTS {name}" for name in (
    "case_list_region", "case_list_authority", "case_list_owner"))


@dataclass(frozen=True)
class CaseFilter:
    """What a worklist asks for; None filters nothing."""

    stage: str | None = None
    risk_band: str | None = None
    region: str | None = None
    authority: str | None = None
    status: str | None = None
    owner: str | None = None
    overdue: bool | None = None
    due_by: datetime | None = None
    red_flag: bool | None = None

    def where(self, now: datetime) -> tuple[list[str], list[Any]]:
        """SQL conditions on `case_list c` and their '?' parameters."""
        where, params = [], []
        for column in ("stage", "risk_band", "region", "authority", "status", "owner"):
            value = getattr(self, column)
            if value is not None:
                where.append(f"c.{column} = ?")
                params.append(value)
        moment = now.astimezone(UTC).isoformat()
        if self.due_by is not None:
            where.append("(c.next_due IS NOT NULL AND c.next_due >= ? AND c.next_due <= ?)")
            params += [moment, self.due_by.astimezone(UTC).isoformat()]
        if self.overdue is not None:
            where.append("(c.next_due IS NOT NULL AND c.next_due < ?)" if self.overdue
                         else "(c.next_due IS NULL OR c.next_due >= ?)")
            params.append(moment)
        if self.red_flag is not None:
            where.append("c.red_flag_raised_at IS " + ("NOT NULL" if self.red_flag else "NULL"))
        return where, params


@dataclass(frozen=True)
class WorklistCounts:
    """How many cases the whole worklist holds, are overdue, and fall due soon."""

    cases: int
    overdue: int
    due_soon: int


def order_by(order: CaseOrder) -> str:
    key, direction = _KEYS[order]
    return f" ORDER BY {key} {direction}, c.case_id ASC"


def after(order: CaseOrder, cursor: str) -> tuple[str, list[Any]]:
    """The condition for the rows after the cursor's, in this order."""
    key_sql, direction = _KEYS[order]
    key, case_id = _position(order, cursor)
    beyond = ">" if direction == "ASC" else "<"
    return f"({key_sql} {beyond} ? OR ({key_sql} = ? AND c.case_id > ?))", [key, key, case_id]


def cursor_after(order: CaseOrder, row: dict[str, Any]) -> str:
    """The cursor of the page that follows this row."""
    key: Any
    if order is CaseOrder.DUE:
        key = row["next_due"] or _NO_DEADLINE
    elif order is CaseOrder.RISK:
        key = row["risk_score"] or 0
    else:
        key = row["raised_at"]
    return base64.urlsafe_b64encode(
        json.dumps([order.value, key, row["case_id"]]).encode()).decode()


def _position(order: CaseOrder, cursor: str) -> tuple[Any, str]:
    """Where a page ends, from a cursor this view gave out for this order; InvalidField
    for any other (cursors from before sorting, [raised_at, case_id], still work)."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if isinstance(parts, list) and len(parts) == 2:
            parts = [CaseOrder.RAISED.value, *parts]
        given, key, case_id = parts
        if isinstance(case_id, str) and isinstance(key, str | int):
            if given == order.value:
                return key, case_id
            raise InvalidField(f"this cursor belongs to the order {given!r}, not "
                               f"{order.value!r}: start again without it", field="cursor",
                               rule="cursor_of_another_order")
    except (ValueError, TypeError, UnicodeError):
        pass
    raise InvalidField("cursor must be a next_cursor this API gave out", field="cursor",
                       rule="cursor_unknown")
