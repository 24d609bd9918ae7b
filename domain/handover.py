"""Handing work on: several cases to another coordinator at once, and the leaver's cases.

When a coordinator leaves, their open cases go to a colleague of the region in one
decision, with one reason. Each case still records its own reassignment, under the
case's own rules (domain/case/access.py); these are the rules of the batch itself:
how many cases one decision may hand on, that each is named once, that a case
handed on "because X owned it" still is X's, and that nobody who owns open cases
is deactivated without someone taking them, so that no case is left without an
owner.
"""

from collections.abc import Sequence
from uuid import UUID

from domain.errors import InvalidField, RuleViolation

MAX_HANDOVER = 500
"""The most cases one decision hands on: a leaver's whole caseload fits many times
over, and a request stays well within one transaction's comfortable size."""

HANDOVER_SIZE = "handover_size"
HANDOVER_CASE_TWICE = "handover_case_twice"
HANDOVER_OWNER_CHANGED = "handover_owner_changed"
SUCCESSOR_REQUIRED = "successor_required"


def check_handover(case_ids: Sequence[UUID]) -> list[UUID]:
    """The cases to hand on: at least one, at most MAX_HANDOVER, each named once."""
    if not case_ids or len(case_ids) > MAX_HANDOVER:
        raise InvalidField(f"hand on between 1 and {MAX_HANDOVER} cases at once; "
                           f"{len(case_ids)} were chosen", field="case_ids", rule=HANDOVER_SIZE)
    if len(set(case_ids)) != len(case_ids):
        raise InvalidField("each case may be named once", field="case_ids",
                           rule=HANDOVER_CASE_TWICE)
    return list(case_ids)


def check_still_owned_by(owner: str | None, leaver: str | None) -> None:
    """A case handed on as one of `leaver`'s must still be theirs (None: any owner)."""
    if leaver is not None and owner != leaver:
        raise RuleViolation(f"the case is no longer owned by {leaver!r}", field="from_owner",
                            rule=HANDOVER_OWNER_CHANGED)


def check_may_deactivate(open_cases: int, successor: str | None) -> None:
    """Someone who owns open cases is deactivated only once someone takes them."""
    if open_cases and not successor:
        raise RuleViolation(f"they own {open_cases} open case{'s' if open_cases != 1 else ''}: "
                            "name the coordinator of their region who takes them",
                            field="successor", rule=SUCCESSOR_REQUIRED)
